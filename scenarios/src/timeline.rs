//! A run drawn as a space-time diagram: one self-contained HTML file (inline
//! SVG and a little script; no network access needed) with a lane per node,
//! an arrow per RPC (failed ones red and dashed, with the reason on hover),
//! crashes and partitions shaded, protocol events labelled, and the failure
//! point marked. Scroll to zoom, drag to pan, double-click to reset.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use sim::trace::TraceLine;
use sim::RunResult;

const LANE_HEIGHT: f64 = 56.0;
const LEFT: f64 = 110.0;
const WIDTH: f64 = 1400.0;
const TOP: f64 = 40.0;

struct Lanes {
    order: Vec<String>,
}

impl Lanes {
    fn of(lines: &[TraceLine]) -> Lanes {
        let mut order: Vec<String> = Vec::new();
        let mut add = |name: &str| {
            if name != "-" && !order.iter().any(|n| n == name) {
                order.push(name.to_string());
            }
        };
        add("main");
        for l in lines {
            add(&l.node);
            if l.target == "sim::node" {
                if let Some(n) = l.field("node") {
                    add(n);
                }
            }
        }
        Lanes { order }
    }

    fn y(&self, name: &str) -> Option<f64> {
        self.order
            .iter()
            .position(|n| n == name)
            .map(|i| TOP + LANE_HEIGHT * (i as f64 + 0.5))
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

struct Scale {
    end: f64,
}

impl Scale {
    fn x(&self, at: Duration) -> f64 {
        LEFT + (WIDTH - LEFT - 20.0) * (at.as_secs_f64() / self.end)
    }
}

/// Draws a run. The result must have been produced with its trace.
pub fn render(result: &RunResult) -> String {
    let lines = &result.trace.lines;
    let lanes = Lanes::of(lines);
    let end = result.virtual_time.as_secs_f64().max(0.001);
    let scale = Scale { end };
    let height = TOP + LANE_HEIGHT * lanes.order.len() as f64 + 30.0;
    let mut svg = String::new();
    draw_lanes(&mut svg, &lanes, &scale);
    draw_outages(&mut svg, lines, &lanes, &scale, result.virtual_time);
    draw_rpcs(&mut svg, lines, &lanes, &scale);
    draw_events(&mut svg, lines, &lanes, &scale);
    if let Some(f) = result.failure() {
        let x = scale.x(result.virtual_time);
        let _ = write!(
            svg,
            r##"<g class="failure"><line x1="{x:.2}" y1="{}" x2="{x:.2}" y2="{:.2}" stroke="#d00" stroke-width="2"/><text x="{:.2}" y="{}" fill="#d00" font-weight="bold">✗ {}</text><title>{}</title></g>"##,
            TOP - 10.0,
            height - 20.0,
            x - 4.0,
            TOP - 14.0,
            escape(&truncate(&f.to_string(), 90)),
            escape(&f.to_string())
        );
    }
    let title = format!(
        "{} seed {} — {} — {:.3}s virtual, {} events, {} RPCs",
        result.scenario,
        result.seed,
        if result.passed() { "PASS" } else { "FAIL" },
        end,
        lines.len(),
        result.rpcs
    );
    page(&title, &svg, height)
}

fn truncate(text: &str, n: usize) -> String {
    let first = text.lines().next().unwrap_or("");
    if first.chars().count() <= n {
        first.to_string()
    } else {
        first.chars().take(n).collect::<String>() + "…"
    }
}

fn draw_lanes(svg: &mut String, lanes: &Lanes, scale: &Scale) {
    for name in &lanes.order {
        let y = lanes.y(name).expect("lane exists");
        let _ = write!(
            svg,
            r##"<text x="8" y="{:.2}" class="lane">{}</text><line x1="{LEFT}" y1="{y:.2}" x2="{:.2}" y2="{y:.2}" stroke="#bbb"/>"##,
            y + 4.0,
            escape(name),
            WIDTH - 20.0
        );
    }
    // Time axis: ten ticks.
    for i in 0..=10 {
        let at = Duration::from_secs_f64(scale.end * i as f64 / 10.0);
        let x = scale.x(at);
        let _ = write!(
            svg,
            r##"<line x1="{x:.2}" y1="{}" x2="{x:.2}" y2="{}" stroke="#eee"/><text x="{x:.2}" y="{}" class="tick">{:.3}s</text>"##,
            TOP - 6.0,
            TOP + LANE_HEIGHT * lanes.order.len() as f64,
            TOP + LANE_HEIGHT * lanes.order.len() as f64 + 14.0,
            at.as_secs_f64()
        );
    }
}

/// Crashed spans (crash → restart) in red, isolated spans (isolate →
/// rejoin/heal) in grey.
fn draw_outages(
    svg: &mut String,
    lines: &[TraceLine],
    lanes: &Lanes,
    scale: &Scale,
    end: Duration,
) {
    let mut down: BTreeMap<String, Duration> = BTreeMap::new();
    let mut cut: BTreeMap<String, Duration> = BTreeMap::new();
    let mut spans: Vec<(String, Duration, Duration, &str, &str)> = Vec::new();
    for l in lines {
        let node = l.field("node").unwrap_or("").to_string();
        match (l.target, l.message()) {
            ("sim::node", "crash") => {
                down.insert(node, l.at);
            }
            ("sim::node", "restart") => {
                if let Some(from) = down.remove(&node) {
                    spans.push((node, from, l.at, "#f4b4b4", "crashed"));
                }
            }
            ("sim::net", "isolate") => {
                cut.entry(node).or_insert(l.at);
            }
            ("sim::net", "rejoin") => {
                if let Some(from) = cut.remove(&node) {
                    spans.push((node, from, l.at, "#cfcfcf", "partitioned"));
                }
            }
            ("sim::net", "heal") => {
                for (node, from) in std::mem::take(&mut cut) {
                    spans.push((node, from, l.at, "#cfcfcf", "partitioned"));
                }
            }
            _ => {}
        }
    }
    for (node, from) in down {
        spans.push((node, from, end, "#f4b4b4", "crashed"));
    }
    for (node, from) in cut {
        spans.push((node, from, end, "#cfcfcf", "partitioned"));
    }
    for (node, from, to, color, what) in spans {
        let Some(y) = lanes.y(&node) else { continue };
        let (x1, x2) = (scale.x(from), scale.x(to));
        let _ = write!(
            svg,
            r##"<rect x="{x1:.2}" y="{:.2}" width="{:.2}" height="{:.2}" fill="{color}" opacity="0.7"><title>{} {what} {:.6}s – {:.6}s</title></rect>"##,
            y - LANE_HEIGHT * 0.35,
            (x2 - x1).max(1.0),
            LANE_HEIGHT * 0.7,
            escape(&node),
            from.as_secs_f64(),
            to.as_secs_f64()
        );
    }
}

fn draw_rpcs(svg: &mut String, lines: &[TraceLine], lanes: &Lanes, scale: &Scale) {
    struct Call<'a> {
        from: &'a str,
        to: &'a str,
        method: &'a str,
        at: Duration,
    }
    let mut open: BTreeMap<&str, Call> = BTreeMap::new();
    for l in lines.iter().filter(|l| l.target == "sim::rpc") {
        let Some(rpc) = l.field("rpc") else { continue };
        if l.message() == "call" {
            open.insert(
                rpc,
                Call {
                    from: &l.node,
                    to: l.field("to").unwrap_or(""),
                    method: l.field("method").unwrap_or(""),
                    at: l.at,
                },
            );
            continue;
        }
        let Some(call) = open.remove(rpc) else {
            continue;
        };
        let (Some(y1), Some(y2)) = (lanes.y(call.from), lanes.y(call.to)) else {
            continue;
        };
        let ok = l.message() == "reply";
        let (x1, x2) = (scale.x(call.at), scale.x(l.at));
        let xm = (x1 + x2) / 2.0;
        let class = if ok { "rpc" } else { "rpc failed" };
        let outcome = match l.field("error") {
            Some(e) => format!("{} {e}", l.message()),
            None => l.message().to_string(),
        };
        let _ = write!(
            svg,
            r##"<g class="{class}"><path d="M{x1:.2},{y1:.2} L{xm:.2},{y2:.2} L{x2:.2},{y1:.2}" marker-end="url(#{})"/><title>rpc {rpc} {} → {} {} at {:.6}s: {}</title></g>"##,
            if ok { "arrow" } else { "cross" },
            escape(call.from),
            escape(call.to),
            escape(call.method),
            call.at.as_secs_f64(),
            escape(&outcome)
        );
    }
}

/// Protocol events: every INFO line from a system (role and term changes,
/// commits, reports), as a dot with a short label.
fn draw_events(svg: &mut String, lines: &[TraceLine], lanes: &Lanes, scale: &Scale) {
    let mut last_label_x: BTreeMap<&str, f64> = BTreeMap::new();
    for l in lines {
        let system_event = l.level <= tracing::Level::INFO && !l.target.starts_with("sim::");
        let fault_event = l.target.starts_with("sim::") && l.level <= tracing::Level::INFO;
        if !system_event && !fault_event {
            continue;
        }
        let lane = if fault_event {
            l.field("node").unwrap_or(&l.node)
        } else {
            &l.node
        };
        let Some(y) = lanes.y(lane) else { continue };
        let x = scale.x(l.at);
        let color = if fault_event { "#a00" } else { "#2255aa" };
        let _ = write!(
            svg,
            r##"<g class="event"><circle cx="{x:.2}" cy="{y:.2}" r="3.5" fill="{color}"/><title>{:.6}s {} {}</title>"##,
            l.at.as_secs_f64(),
            escape(&l.node),
            escape(&l.text)
        );
        // Label when there is room since the lane's previous label.
        let room = last_label_x.get(lane).is_none_or(|&px| x - px > 130.0);
        if room {
            let _ = write!(
                svg,
                r#"<text x="{:.2}" y="{:.2}" class="label">{}</text>"#,
                x + 4.0,
                y - 8.0,
                escape(&truncate(&l.text, 28))
            );
            last_label_x.insert(lane, x);
        }
        svg.push_str("</g>");
    }
}

fn page(title: &str, svg: &str, height: f64) -> String {
    format!(
        r##"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: sans-serif; margin: 12px; background: #fff; }}
h1 {{ font-size: 16px; }}
p {{ font-size: 12px; color: #555; }}
svg {{ border: 1px solid #ccc; cursor: grab; background: #fcfcfc; }}
.lane {{ font-size: 13px; font-weight: bold; fill: #333; }}
.tick {{ font-size: 10px; fill: #888; text-anchor: middle; }}
.label {{ font-size: 10px; fill: #2255aa; }}
.rpc path {{ fill: none; stroke: #3a3; stroke-width: 0.8; opacity: 0.6; }}
.rpc.failed path {{ stroke: #d33; stroke-dasharray: 3 2; opacity: 0.8; }}
.failure text {{ font-size: 12px; }}
</style></head><body>
<h1>{title}</h1>
<p>Lanes are nodes; green arrows are RPCs that got a reply, red dashed ones failed (dropped, unreachable, server lost); red bands are crashes, grey bands partitions; dots are protocol events (hover for details). Scroll to zoom, drag to pan, double-click to reset.</p>
<svg id="tl" xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height:.0}" viewBox="0 0 {WIDTH} {height:.0}">
<defs>
<marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="5" markerHeight="5" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#3a3"/></marker>
<marker id="cross" viewBox="0 0 10 10" refX="5" refY="5" markerWidth="6" markerHeight="6"><path d="M0,0 L10,10 M10,0 L0,10" stroke="#d33" stroke-width="2"/></marker>
</defs>
{svg}
</svg>
<script>
(function () {{
  const svg = document.getElementById('tl');
  const full = [0, 0, {WIDTH}, {height:.0}];
  let box = full.slice();
  const set = () => svg.setAttribute('viewBox', box.join(' '));
  svg.addEventListener('wheel', (e) => {{
    e.preventDefault();
    const r = svg.getBoundingClientRect();
    const fx = (e.clientX - r.left) / r.width;
    const k = e.deltaY < 0 ? 0.8 : 1.25;
    const w = Math.min(full[2], Math.max(5, box[2] * k));
    box[0] = Math.max(0, Math.min(full[2] - w, box[0] + (box[2] - w) * fx));
    box[2] = w;
    set();
  }}, {{ passive: false }});
  let drag = null;
  svg.addEventListener('mousedown', (e) => {{ drag = [e.clientX, box[0]]; }});
  window.addEventListener('mouseup', () => {{ drag = null; }});
  window.addEventListener('mousemove', (e) => {{
    if (!drag) return;
    const r = svg.getBoundingClientRect();
    box[0] = Math.max(0, Math.min(full[2] - box[2], drag[1] - (e.clientX - drag[0]) * box[2] / r.width));
    set();
  }});
  svg.addEventListener('dblclick', () => {{ box = full.slice(); set(); }});
}})();
</script>
</body></html>
"##
    )
}
