//! A run drawn as a space-time diagram, meant for finding the bug.
//!
//! [`Model::of`] turns a run into lanes (one per node), events (every trace
//! line), RPCs (call → reply or failure), outages (crashes, partitions) and
//! the failure. [`render`] embeds that model as JSON in one self-contained
//! HTML page (inline script and style, no network) whose script draws it on a
//! canvas with a real time axis: the wheel zooms the time scale around the
//! pointer, dragging pans, and when thousands of RPCs share the view they are
//! drawn as per-lane density bands instead of a wall of lines. The failure is
//! an HTML banner above the plot (never clipped) and a marker on the axis;
//! clicking an event lists its trace line, its neighbours and the rest of its
//! RPC; checkboxes filter lanes and event kinds.
//!
//! The visible window is exposed for tests and tools as `data-t0`/`data-t1`
//! (seconds) on `#plot`, the drawing mode as `data-lod`, and the shown lanes
//! as `data-lanes`; `window.timeline.where(i)` says where event `i` is drawn
//! (client pixels), so a test can click it.
//!
//! The page is a pure function of the run: no wall time, no hash-map order,
//! so the same run gives the same bytes.

mod messages;

use std::collections::BTreeMap;

pub use messages::Message;
use serde::Serialize;
use sim::trace::TraceLine;
use sim::RunResult;

/// More distinct event kinds than this and kinds fall back to the target
/// alone: a filter list of hundreds of entries helps nobody.
const MAX_KINDS: usize = 48;

/// Everything the page draws, in the page's JSON. Times are virtual
/// nanoseconds since the start of the run (exact in a JS number up to 104
/// days).
#[derive(Clone, Debug, Serialize)]
pub struct Model {
    pub scenario: String,
    pub seed: u64,
    /// When the run ended (or failed).
    pub end: u64,
    /// Node names, `main` (the tester) first, then in order of appearance.
    pub lanes: Vec<String>,
    /// Filterable event kinds: `target message`, digits replaced by `N`.
    pub kinds: Vec<String>,
    /// Every trace line, in trace order.
    pub events: Vec<Event>,
    pub rpcs: Vec<Rpc>,
    /// Raw Endpoint datagrams (`sim::endpoint` lines), by send time.
    pub messages: Vec<Message>,
    pub outages: Vec<Outage>,
    pub failure: Option<FailureMark>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Event {
    pub t: u64,
    /// Index into [`Model::lanes`]: the node the event is about (`node=`
    /// of a crash or partition event), else the node that emitted it.
    pub lane: usize,
    /// Index into [`Model::kinds`].
    pub kind: usize,
    /// Drawn as a dot: INFO and above. DEBUG lines (RPC traffic) are drawn
    /// as the RPC arrows instead.
    pub mark: bool,
    /// The line as `dst run --trace` prints it.
    pub line: String,
    /// The `rpc=` number, if the line is about an RPC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rpc: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Rpc {
    pub id: u64,
    pub from: usize,
    pub to: usize,
    pub method: String,
    pub t0: u64,
    pub t1: u64,
    pub ok: bool,
    /// `reply`, or how it failed (`unreachable`, `reply dropped`, ...).
    pub outcome: String,
    /// Indexes into [`Model::events`] of the call and of its end (the call
    /// again when it never ended).
    pub call: usize,
    pub done: usize,
    /// Still waiting when the run ended (typically a call into a crashed
    /// node): `t1` is then the end of the run, not a reply.
    pub open: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Outage {
    pub lane: usize,
    pub t0: u64,
    pub t1: u64,
    /// `crashed` or `partitioned`.
    pub what: &'static str,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FailureMark {
    pub t: u64,
    /// `CHECK`, `PANIC`, `DEADLOCK`, ...
    pub kind: String,
    pub message: String,
}

fn nanos(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// `target message` with every run of digits replaced by `N`, so that
/// "term 7" and "term 8" are one kind.
fn kind_name(l: &TraceLine) -> String {
    let mut out = String::from(l.target);
    out.push(' ');
    let mut in_digits = false;
    for c in l.message().chars() {
        if c.is_ascii_digit() {
            if !in_digits {
                out.push('N');
            }
            in_digits = true;
        } else {
            out.push(c);
            in_digits = false;
        }
    }
    out.trim_end().to_string()
}

impl Model {
    /// The model of a run. The result must have been produced with its trace.
    pub fn of(result: &RunResult) -> Model {
        Model::from_trace(
            result.scenario,
            result.seed,
            &result.trace.lines,
            result.virtual_time,
            result.failure(),
        )
    }

    /// The model of a trace that ended at `ended`, with `failure` if the run
    /// failed (at `ended`).
    pub fn from_trace(
        scenario: &str,
        seed: u64,
        lines: &[TraceLine],
        ended: std::time::Duration,
        failure: Option<&sim::Failure>,
    ) -> Model {
        let mut lanes: Vec<String> = vec!["main".to_string()];
        let lane_of = |name: &str, lanes: &mut Vec<String>| -> usize {
            if name == "-" {
                return 0;
            }
            match lanes.iter().position(|n| n == name) {
                Some(i) => i,
                None => {
                    lanes.push(name.to_string());
                    lanes.len() - 1
                }
            }
        };

        // Kinds: detailed when there are few, by target when there are many.
        let detailed: std::collections::BTreeSet<String> = lines.iter().map(kind_name).collect();
        let by_target = detailed.len() > MAX_KINDS;
        let kind_key = |l: &TraceLine| {
            if by_target {
                l.target.to_string()
            } else {
                kind_name(l)
            }
        };
        let mut kinds: Vec<String> = Vec::new();
        let mut kind_index: BTreeMap<String, usize> = BTreeMap::new();

        let mut events = Vec::with_capacity(lines.len());
        let mut rpcs = Vec::new();
        let mut open: BTreeMap<u64, (usize, usize, usize, String, u64)> = BTreeMap::new();
        let mut outages = Vec::new();
        let mut down: BTreeMap<usize, u64> = BTreeMap::new();
        let mut cut: BTreeMap<usize, u64> = BTreeMap::new();
        let mut datagrams = messages::Pairing::default();
        for (i, l) in lines.iter().enumerate() {
            let t = nanos(l.at);
            let about = match l.target {
                "sim::node" | "sim::net" => l.field("node"),
                _ => None,
            };
            let lane = lane_of(about.unwrap_or(&l.node), &mut lanes);
            let key = kind_key(l);
            let kind = match kind_index.get(&key) {
                Some(&k) => k,
                None => {
                    kinds.push(key.clone());
                    kind_index.insert(key, kinds.len() - 1);
                    kinds.len() - 1
                }
            };
            let rpc = l.field("rpc").and_then(|r| r.parse::<u64>().ok());
            if l.target == "sim::rpc" {
                if let Some(id) = rpc {
                    if l.message() == "call" {
                        let to = lane_of(l.field("to").unwrap_or("-"), &mut lanes);
                        let method = l.field("method").unwrap_or("").to_string();
                        open.insert(id, (lane, to, i, method, t));
                    } else if let Some((from, to, call, method, t0)) = open.remove(&id) {
                        let outcome = match l.field("error") {
                            Some(e) => format!("{} {e}", l.message()),
                            None => l.message().to_string(),
                        };
                        rpcs.push(Rpc {
                            id,
                            from,
                            to,
                            method,
                            t0,
                            t1: t,
                            ok: l.message() == "reply",
                            outcome,
                            call,
                            done: i,
                            open: false,
                        });
                    }
                }
            }
            if l.target == sim::endpoint_trace::TARGET {
                datagrams.line(i, t, lane, l, |name| lane_of(name, &mut lanes));
            }
            match (l.target, l.message()) {
                ("sim::node", "crash") => {
                    down.insert(lane, t);
                }
                ("sim::node", "restart") => {
                    if let Some(t0) = down.remove(&lane) {
                        outages.push(Outage {
                            lane,
                            t0,
                            t1: t,
                            what: "crashed",
                        });
                    }
                }
                ("sim::net", "isolate") => {
                    cut.entry(lane).or_insert(t);
                }
                ("sim::net", "rejoin") => {
                    if let Some(t0) = cut.remove(&lane) {
                        outages.push(Outage {
                            lane,
                            t0,
                            t1: t,
                            what: "partitioned",
                        });
                    }
                }
                ("sim::net", "heal") => {
                    for (lane, t0) in std::mem::take(&mut cut) {
                        outages.push(Outage {
                            lane,
                            t0,
                            t1: t,
                            what: "partitioned",
                        });
                    }
                }
                _ => {}
            }
            events.push(Event {
                t,
                lane,
                kind,
                mark: l.level <= tracing::Level::INFO,
                line: l.to_string(),
                rpc,
            });
        }
        let last = events.last().map_or(0, |e| e.t);
        let end = nanos(ended).max(last);
        // Still down or cut when the run ended: the band runs to the end.
        for (lane, t0) in down {
            outages.push(Outage {
                lane,
                t0,
                t1: end,
                what: "crashed",
            });
        }
        for (lane, t0) in cut {
            outages.push(Outage {
                lane,
                t0,
                t1: end,
                what: "partitioned",
            });
        }
        // Calls still open at the end never returned: drawn as far as the end.
        for (id, (from, to, call, method, t0)) in open {
            rpcs.push(Rpc {
                id,
                from,
                to,
                method,
                t0,
                t1: end,
                ok: false,
                outcome: "no reply before the run ended".to_string(),
                call,
                done: call,
                open: true,
            });
        }
        rpcs.sort_by_key(|r| (r.t0, r.id));
        let failure = failure.map(|f| FailureMark {
            t: nanos(ended),
            kind: f.kind.to_string(),
            message: f.to_string(),
        });
        Model {
            scenario: scenario.to_string(),
            seed,
            end,
            lanes,
            kinds,
            events,
            rpcs,
            messages: datagrams.finish(),
            outages,
            failure,
        }
    }

    /// The model as JSON that is safe inside a `<script>` element: `<` only
    /// occurs inside JSON strings, where `\u003c` means the same, so no
    /// `</script>` or `<!--` in a trace line can end the element early.
    pub fn to_script_json(&self) -> String {
        serde_json::to_string(self)
            .expect("the model serializes")
            .replace('<', "\\u003c")
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Draws a run. The result must have been produced with its trace.
pub fn render(result: &RunResult) -> String {
    let model = Model::of(result);
    let title = format!(
        "{} seed {} — {} — {:.3}s virtual, {} events, {} RPCs",
        result.scenario,
        result.seed,
        result.verdict(),
        result.virtual_time.as_secs_f64(),
        model.events.len(),
        result.rpcs
    );
    // The failure is static HTML, not canvas text: it wraps to the window's
    // width, is selectable, and is there even if the script fails.
    let banner = match &model.failure {
        Some(f) => {
            let mut first = f.message.lines().next().unwrap_or("").to_string();
            if first.chars().count() > 400 {
                first = first.chars().take(400).collect::<String>() + "…";
            }
            let rest = if f.message.lines().count() > 1 || first != f.message {
                format!(
                    r#"<details><summary>full message</summary><pre>{}</pre></details>"#,
                    escape(&f.message)
                )
            } else {
                String::new()
            };
            format!(
                r#"<div id="failure" class="failure" role="alert" data-t="{:.9}"><span id="failure-text">✗ {} at {:.6}s: {}</span> <button id="zoom-failure" type="button">zoom to failure</button>{rest}</div>"#,
                f.t as f64 / 1e9,
                escape(&f.kind),
                f.t as f64 / 1e9,
                escape(&first),
            )
        }
        None if result.passed() => r#"<div id="status" class="pass">✓ PASS</div>"#.to_string(),
        // Cut short by `until` before it ended or failed.
        None => {
            r#"<div id="status" class="stopped">■ STOPPED before its end, without failing</div>"#
                .to_string()
        }
    };
    page(&title, &banner, &model.to_script_json())
}

fn page(title: &str, banner: &str, json: &str) -> String {
    let title = escape(title);
    let mut html = String::with_capacity(json.len() + 20_000);
    html.push_str(&format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>{STYLE}</style></head><body>
<header id="top">
<h1>{title}</h1>
{banner}
<div id="controls"><button id="zoom-in" type="button">+</button> <button id="zoom-out" type="button">−</button> <button id="reset" type="button">whole run</button> <span id="window"></span> <span id="lod-note"></span></div>
</header>
<div id="plot" data-t0="0" data-t1="0" data-lod="" data-lanes=""><canvas id="canvas"></canvas><div id="labels"></div></div>
<p class="help">Lanes are nodes. Wheel: zoom the time axis around the pointer; drag: pan; double-click: whole run; keys + − ← →. Green arrows are RPCs that got a reply, red dashed ones failed (cross at the end), grey dotted stubs marked ? were still unanswered when the run ended; blue arrows are raw Endpoint datagrams (sender to receiver), crossed red stubs datagrams never received; red bands are crashes, grey bands partitions; dots are protocol events (INFO and above). Zoomed out, RPCs become density bands (green ok, red failed per lane). Click a dot or an arrow end to see its trace lines.</p>
<div id="bottom"><section id="filters"><h2>Lanes</h2><div id="lane-filters"></div><h2>Event kinds</h2><div id="kind-filters"></div></section>
<section id="trace"><h2>Trace</h2><div id="trace-lines">Click an event.</div></section></div>
<script type="application/json" id="model">"#
    ));
    html.push_str(json);
    html.push_str("</script>\n<script>\n");
    html.push_str(SCRIPT);
    html.push_str("</script>\n</body></html>\n");
    html
}

const STYLE: &str = r#"
body { font-family: sans-serif; margin: 0 12px 12px; background: #fff; color: #222; }
header#top { position: sticky; top: 0; background: #fff; z-index: 2; padding-top: 6px; }
h1 { font-size: 15px; margin: 4px 0; overflow-wrap: anywhere; }
h2 { font-size: 13px; margin: 6px 0 4px; }
.failure { background: #fde8e8; border: 2px solid #d00; color: #900; font-weight: bold; padding: 6px 8px; font-size: 13px; overflow-wrap: anywhere; white-space: normal; }
.failure pre { white-space: pre-wrap; font-weight: normal; max-height: 12em; overflow: auto; }
.pass { background: #e8f6e8; border: 1px solid #3a3; color: #161; padding: 4px 8px; font-size: 13px; }
.stopped { background: #f2f2f2; border: 1px solid #999; color: #444; padding: 4px 8px; font-size: 13px; }
#controls { font-size: 12px; margin: 4px 0; color: #555; }
#plot { position: relative; border: 1px solid #ccc; background: #fcfcfc; cursor: grab; user-select: none; }
#plot canvas { display: block; }
#labels div { position: absolute; left: 4px; font: bold 12px sans-serif; color: #333; pointer-events: none; }
.help { font-size: 12px; color: #555; }
#bottom { display: flex; gap: 16px; align-items: flex-start; }
#filters { flex: 0 0 260px; font-size: 12px; max-height: 420px; overflow: auto; }
#filters label { display: block; white-space: nowrap; }
#trace { flex: 1; min-width: 0; }
#trace-lines { font: 12px monospace; white-space: pre; overflow-x: auto; max-height: 420px; overflow-y: auto; }
#trace-lines .line { cursor: pointer; }
#trace-lines .line:hover { background: #eef; }
#trace-lines .sel { background: #ffe08a; }
#trace-lines .rel { background: #e4f0ff; }
#trace-lines .sep { color: #999; }
"#;

/// The page's script: all drawing happens here, from the JSON model.
const SCRIPT: &str = include_str!("timeline.js");

#[cfg(test)]
mod tests {
    use super::*;

    fn run(name: &str, seed: u64) -> RunResult {
        let scenario = crate::select::select(&crate::selftest::scenarios(), name)
            .expect("a self-test scenario")
            .remove(0);
        sim::run(&scenario, seed, &sim::RunOptions::default())
    }

    #[test]
    fn a_failing_run_has_its_failure_and_failed_rpcs() {
        let r = run("demo/rpc/lossy_counter", 0);
        assert!(!r.passed());
        let m = Model::of(&r);
        assert_eq!(m.lanes[0], "main");
        assert!(m.lanes.iter().any(|l| l == "client"));
        assert!(m.lanes.iter().any(|l| l == "server"));
        assert_eq!(
            m.events.len(),
            r.trace.lines.len(),
            "every line is an event"
        );
        let f = m.failure.as_ref().expect("the failure is in the model");
        assert!(f.message.contains("counter is"), "{}", f.message);
        assert_eq!(f.t, m.end);
        // Each RPC pairs its call with its end, both in trace order.
        assert!(!m.rpcs.is_empty());
        for rpc in &m.rpcs {
            assert!(rpc.t0 <= rpc.t1);
            assert!(rpc.call <= rpc.done);
            assert_eq!(m.events[rpc.call].rpc, Some(rpc.id));
            assert_eq!(m.lanes[rpc.from], "client");
            assert_eq!(m.lanes[rpc.to], "server");
        }
        let dropped: Vec<&Rpc> = m.rpcs.iter().filter(|r| !r.ok).collect();
        assert!(
            dropped.iter().any(|r| r.outcome == "reply dropped"),
            "{:?}",
            dropped.iter().map(|r| &r.outcome).collect::<Vec<_>>()
        );
    }

    #[test]
    fn crashes_become_bands_on_the_crashed_nodes_lane() {
        let r = run("sim/node/crash_restart_persister", 1);
        let m = Model::of(&r);
        assert!(m.failure.is_none());
        let crashed: Vec<&Outage> = m.outages.iter().filter(|o| o.what == "crashed").collect();
        assert!(!crashed.is_empty());
        for o in crashed {
            assert_ne!(m.lanes[o.lane], "main", "drawn on the node, not the tester");
            assert!(o.t0 <= o.t1 && o.t1 <= m.end);
        }
    }

    #[test]
    fn kinds_merge_numbers_and_the_page_is_deterministic_and_self_contained() {
        let r = run("demo/rpc/lossy_counter", 0);
        let m = Model::of(&r);
        let distinct: std::collections::BTreeSet<&String> = m.kinds.iter().collect();
        assert_eq!(distinct.len(), m.kinds.len());
        assert!(
            m.kinds.iter().any(|k| k == "sim::rpc call"),
            "{:?}",
            m.kinds
        );
        assert!(m
            .kinds
            .iter()
            .all(|k| !k.chars().any(|c| c.is_ascii_digit())));
        let a = render(&r);
        let b = render(&run("demo/rpc/lossy_counter", 0));
        assert_eq!(a, b, "the same run draws the same bytes");
        assert!(
            !a.contains("http://") && !a.contains("https://"),
            "no network"
        );
        assert!(a.contains(r#"id="failure-text""#));
        // One </script> per script element: trace text cannot close one.
        assert_eq!(a.matches("</script>").count(), 2);
    }

    #[test]
    fn script_json_cannot_end_its_element() {
        let mut m = Model::of(&run("demo/rpc/lossy_counter", 0));
        m.events[0].line = "</script><!-- x".to_string();
        let json = m.to_script_json();
        assert!(!json.contains('<'));
        let back: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(back["events"][0]["line"], "</script><!-- x");
    }

    fn line(ms: u64, node: &str, target: &'static str, text: &str) -> TraceLine {
        TraceLine {
            at: std::time::Duration::from_millis(ms),
            level: if target == "sim::rpc" {
                tracing::Level::DEBUG
            } else {
                tracing::Level::INFO
            },
            target,
            node: node.into(),
            text: text.to_string(),
        }
    }

    #[test]
    fn partitions_heal_and_unanswered_calls_stay_open() {
        let lines = [
            line(0, "main", "sim::node", "create node=a ip=10.0.0.1"),
            line(0, "main", "sim::node", "create node=b ip=10.0.0.2"),
            line(1, "a", "sim::rpc", "call to=b method=M.X rpc=1"),
            line(2, "main", "sim::net", "isolate node=a"),
            line(2, "main", "sim::net", "isolate node=b"),
            line(3, "a", "sim::rpc", "unreachable to=b rpc=1"),
            line(4, "main", "sim::net", "heal"),
            line(5, "a", "sim::rpc", "call to=b method=M.Y rpc=2"),
            line(6, "main", "sim::node", "crash node=b"),
        ];
        let failure = sim::Failure::check("stuck");
        let m = Model::from_trace(
            "t",
            7,
            &lines,
            std::time::Duration::from_millis(9),
            Some(&failure),
        );
        assert_eq!(m.lanes, ["main", "a", "b"]);
        assert_eq!(m.end, 9_000_000);
        let ms = |t: u64| t * 1_000_000;
        let bands: Vec<(&str, &str, u64, u64)> = m
            .outages
            .iter()
            .map(|o| (m.lanes[o.lane].as_str(), o.what, o.t0, o.t1))
            .collect();
        assert_eq!(
            bands,
            [
                ("a", "partitioned", ms(2), ms(4)),
                ("b", "partitioned", ms(2), ms(4)),
                ("b", "crashed", ms(6), ms(9)),
            ]
        );
        assert_eq!(m.rpcs.len(), 2);
        let (first, second) = (&m.rpcs[0], &m.rpcs[1]);
        assert_eq!((first.id, first.ok, first.open), (1, false, false));
        assert_eq!(first.outcome, "unreachable");
        assert_eq!((first.call, first.done), (2, 5));
        assert_eq!(
            (second.id, second.open, second.t0, second.t1),
            (2, true, ms(5), ms(9))
        );
        assert_eq!(second.call, second.done);
        // Fault events sit on the lane of the node they are about.
        assert_eq!(m.lanes[m.events[8].lane], "b");
        assert_eq!(m.failure.as_ref().unwrap().t, ms(9));
    }

    #[test]
    fn endpoint_datagrams_pair_sends_with_receipts_and_keep_the_lost() {
        let e = sim::endpoint_trace::TARGET;
        let lines = [
            line(0, "main", "sim::node", "create node=a ip=10.0.0.1"),
            line(0, "main", "sim::node", "create node=b ip=10.0.0.2"),
            line(1, "a", e, "send to=b port=9000 tag=1 from_port=5"),
            line(2, "a", e, "send to=b port=9000 tag=1 from_port=5"),
            line(3, "b", e, "recv from=a port=9000 tag=1 from_port=5"),
            line(4, "b", e, "send to=a port=5 tag=2 from_port=9000"),
            line(5, "a", e, "recv from=b port=5 tag=2 from_port=9000"),
            // A receipt with no send before it pairs with nothing.
            line(6, "a", e, "recv from=b port=5 tag=3 from_port=9000"),
        ];
        let m = Model::from_trace("t", 0, &lines, std::time::Duration::from_millis(7), None);
        assert_eq!(m.lanes, ["main", "a", "b"]);
        let ms = |t: u64| t * 1_000_000;
        let drawn: Vec<(&str, &str, u64, u64, bool, usize, usize)> = m
            .messages
            .iter()
            .map(|d| {
                let (from, to) = (m.lanes[d.from].as_str(), m.lanes[d.to].as_str());
                (from, to, d.t0, d.t1, d.received, d.send, d.recv)
            })
            .collect();
        assert_eq!(
            drawn,
            [
                ("a", "b", ms(1), ms(3), true, 2, 4),
                ("a", "b", ms(2), ms(2), false, 3, 3),
                ("b", "a", ms(4), ms(5), true, 5, 6),
            ]
        );
        assert_eq!(m.messages[2].label, "port 5 tag 2");
        assert!(m.rpcs.is_empty());
    }

    #[test]
    fn a_partition_loses_exactly_the_datagrams_across_it() {
        let r = run("sim/endpoint/partition", 0);
        assert!(r.passed(), "{:?}", r.failure());
        let m = Model::of(&r);
        let a = m.lanes.iter().position(|l| l == "a").unwrap();
        let (lost, received): (Vec<&Message>, Vec<&Message>) =
            m.messages.iter().partition(|d| !d.received);
        assert!(!lost.is_empty() && !received.is_empty());
        // The gossip's last sends may still be in flight when the run ends;
        // every datagram lost before the heal crossed the cut around `a`.
        let healed = r
            .trace
            .lines
            .iter()
            .find(|l| l.target == "sim::net" && l.message() == "heal")
            .map(|l| nanos(l.at))
            .expect("the scenario heals");
        for d in lost.iter().filter(|d| d.t0 < healed) {
            assert!(d.from == a || d.to == a, "{d:?} lost inside one side");
        }
        assert!(received.iter().any(|d| d.from == a));
    }

    #[test]
    fn kind_names_replace_digit_runs() {
        let line = TraceLine {
            at: std::time::Duration::ZERO,
            level: tracing::Level::INFO,
            target: "raft",
            node: "server1".into(),
            text: "term 78 from 3 x=1".to_string(),
        };
        assert_eq!(kind_name(&line), "raft term N from N");
    }
}
