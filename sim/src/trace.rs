//! Traces: one global `tracing` subscriber that records each run's events into
//! a buffer owned by the run's thread.
//!
//! Why one global subscriber with per-thread buffers: a scoped subscriber
//! (`with_default`) is thread-local and loses events emitted while another
//! subscriber is current, and parallel runs (sweeps, `cargo test`) each need
//! their own trace. Every run has its own OS thread, so a thread-local buffer
//! is exactly "this run's trace".
//!
//! A trace line is stable across processes and builds: virtual time, node
//! name, target, message and fields. No wall time, task ids or addresses.
//! The node name comes from madsim's `node` span, the parent of the `task`
//! span madsim enters around every poll; the harness (madsim's main task) is
//! `main`.

use std::cell::RefCell;
use std::fmt::{self, Write as _};
use std::hash::Hasher;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Once};
use std::time::Duration;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};

/// One recorded event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceLine {
    /// Virtual time since the start of the run.
    pub at: Duration,
    /// `tracing` level of the event.
    pub level: Level,
    /// `tracing` target (by default the module path of the emitting code).
    pub target: &'static str,
    /// Name of the simulated node that emitted it (`main` for the harness).
    pub node: Arc<str>,
    /// The message followed by ` key=value` fields.
    pub text: String,
}

impl TraceLine {
    /// The value of field `key` in the text (` key=value`), if present.
    /// Values with spaces are recorded quoted and are returned with quotes.
    pub fn field(&self, key: &str) -> Option<&str> {
        let needle = format!(" {key}=");
        let start = self.text.find(&needle)? + needle.len();
        let rest = &self.text[start..];
        let end = if let Some(quoted) = rest.strip_prefix('"') {
            quoted.find('"').map_or(rest.len(), |i| i + 2)
        } else {
            rest.find(' ').unwrap_or(rest.len())
        };
        Some(&rest[..end])
    }

    /// The message: the text before the first field.
    pub fn message(&self) -> &str {
        let end = self
            .text
            .split(' ')
            .position(|w| w.contains('='))
            .map_or(self.text.len(), |n| {
                self.text
                    .split(' ')
                    .take(n)
                    .map(|w| w.len() + 1)
                    .sum::<usize>()
                    .saturating_sub(1)
            });
        &self.text[..end]
    }
}

impl fmt::Display for TraceLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.at.as_secs();
        let micros = self.at.subsec_micros();
        write!(
            f,
            "{secs:>4}.{micros:06} {:<10} {:<5} {} {}",
            self.node,
            level_name(self.level),
            self.target,
            self.text
        )
    }
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::ERROR => "ERROR",
        Level::WARN => "WARN",
        Level::INFO => "INFO",
        Level::DEBUG => "DEBUG",
        Level::TRACE => "TRACE",
    }
}

/// A whole run's trace.
#[derive(Clone, Debug, Default)]
pub struct Trace {
    pub lines: Vec<TraceLine>,
}

impl Trace {
    /// 64-bit FNV-1a over the rendered lines: stable across processes,
    /// platforms and debug/release (unlike `DefaultHasher`, whose algorithm
    /// is unspecified).
    pub fn hash(&self) -> u64 {
        // FNV consumes bytes one at a time, so hashing the rendered pieces as
        // they are formatted equals hashing the whole rendered trace, without
        // allocating a string per line (this was 14% of a Raft run).
        struct HashWriter(fnv::FnvHasher);
        impl fmt::Write for HashWriter {
            fn write_str(&mut self, s: &str) -> fmt::Result {
                self.0.write(s.as_bytes());
                Ok(())
            }
        }
        let mut writer = HashWriter(fnv::FnvHasher::default());
        for line in &self.lines {
            writeln!(writer, "{line}").expect("hashing cannot fail");
        }
        writer.0.finish()
    }

    /// The last `n` lines, rendered.
    pub fn tail(&self, n: usize) -> Vec<String> {
        let start = self.lines.len().saturating_sub(n);
        self.lines[start..].iter().map(|l| l.to_string()).collect()
    }

    /// Lines at `INFO` level or above: the compact protocol trace.
    pub fn compact(&self) -> impl Iterator<Item = &TraceLine> {
        self.lines.iter().filter(|l| l.level <= Level::INFO)
    }

    /// The compact trace rendered as one string, for insta snapshots.
    pub fn compact_text(&self, target_prefix: &str) -> String {
        let mut out = String::new();
        for line in self.compact() {
            if line.target.starts_with(target_prefix) {
                let _ = writeln!(out, "{line}");
            }
        }
        out
    }

    /// Index of the first line that differs from `other`, if any.
    pub fn first_difference(&self, other: &Trace) -> Option<usize> {
        let common = self.lines.len().min(other.lines.len());
        (0..common)
            .find(|&i| self.lines[i] != other.lines[i])
            .or((self.lines.len() != other.lines.len()).then_some(common))
    }
}

struct Recorder {
    lines: Vec<TraceLine>,
    /// Set by the wall-clock guard of the thread that started the run.
    abort: Arc<AtomicBool>,
}

thread_local! {
    static RECORDER: RefCell<Option<Recorder>> = const { RefCell::new(None) };
}

/// Installs the global subscriber (idempotent). If another global subscriber
/// was installed first, traces stay empty; that is reported once on stderr.
pub fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if tracing::subscriber::set_global_default(RunSubscriber).is_err() {
            eprintln!("sim: another global tracing subscriber is installed; traces will be empty");
        }
    });
}

/// Starts recording on this thread.
pub(crate) fn begin(abort: Arc<AtomicBool>) {
    install();
    RECORDER.with(|r| {
        *r.borrow_mut() = Some(Recorder {
            lines: Vec::new(),
            abort,
        })
    });
}

/// Stops recording on this thread and returns what was recorded.
pub(crate) fn end() -> Trace {
    let recorder = RECORDER.with(|r| r.borrow_mut().take());
    Trace {
        lines: recorder.map(|r| r.lines).unwrap_or_default(),
    }
}

/// Number of events recorded so far on this thread's run.
pub fn event_count() -> usize {
    RECORDER.with(|r| r.borrow().as_ref().map_or(0, |r| r.lines.len()))
}

/// The rendered last `n` lines of the trace being recorded on this thread.
pub fn current_tail(n: usize) -> Vec<String> {
    RECORDER.with(|r| {
        r.borrow().as_ref().map_or_else(Vec::new, |r| {
            let start = r.lines.len().saturating_sub(n);
            r.lines[start..].iter().map(|l| l.to_string()).collect()
        })
    })
}

/// Why our own subscriber rather than `tracing-subscriber`'s registry:
/// madsim creates a span per task and clones, enters, exits and closes it
/// around every poll, and the registry's shared slab made that about a
/// quarter of a CPU-bound run (the bank's million operations). A run lives on
/// one thread, so its spans can live in a thread-local table.
struct RunSubscriber;

/// The spans of the runs on this thread: id -> (node name, references), and
/// the stack of entered spans. The map is only ever looked up, never
/// iterated, so its order cannot leak into a run; FNV because SipHash cost as
/// much as the registry it replaces.
#[derive(Default)]
struct SpanTable {
    spans: fnv::FnvHashMap<u64, SpanEntry>,
    entered: Vec<u64>,
}

struct SpanEntry {
    /// Set on madsim's `node` spans: the node's name (`main` for the harness).
    node: Option<Arc<str>>,
    references: usize,
}

thread_local! {
    static SPANS: RefCell<SpanTable> = RefCell::new(SpanTable::default());
}

/// Span ids are unique across threads, so a span that strays to another
/// thread is merely unknown there, never confused with another.
static NEXT_SPAN: AtomicU64 = AtomicU64::new(1);

/// madsim's own events (scheduling, sockets) are noise for our traces and
/// would make them depend on madsim internals; TRACE is never recorded.
fn wanted(metadata: &Metadata<'_>) -> bool {
    if metadata.is_span() {
        return true;
    }
    *metadata.level() <= Level::DEBUG && !metadata.target().starts_with("madsim")
}

impl Subscriber for RunSubscriber {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if wanted(metadata) {
            Interest::always()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        wanted(metadata)
    }

    fn new_span(&self, attrs: &Attributes<'_>) -> Id {
        let id = NEXT_SPAN.fetch_add(1, Ordering::Relaxed);
        let own = (attrs.metadata().name() == "node")
            .then(|| {
                let mut visitor = NameVisitor(None);
                attrs.record(&mut visitor);
                visitor.0
            })
            .flatten()
            .map(|name| -> Arc<str> {
                if name == "madsim-main" {
                    "main".into()
                } else {
                    name.into()
                }
            });
        let _ = SPANS.try_with(|t| {
            let mut t = t.borrow_mut();
            // A span that is not a node's inherits its parent's node (madsim's
            // `task` spans are children of their node's span).
            let parent = match attrs.parent() {
                Some(p) => Some(p.into_u64()),
                None if attrs.is_contextual() => t.entered.last().copied(),
                None => None,
            };
            let node =
                own.or_else(|| parent.and_then(|p| t.spans.get(&p).and_then(|e| e.node.clone())));
            t.spans.insert(
                id,
                SpanEntry {
                    node,
                    references: 1,
                },
            );
        });
        Id::from_u64(id)
    }

    fn record(&self, _span: &Id, _values: &Record<'_>) {}

    fn record_follows_from(&self, _span: &Id, _follows: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let _ = RECORDER.try_with(|r| {
            let mut r = r.borrow_mut();
            let Some(recorder) = r.as_mut() else { return };
            let node = current_node().unwrap_or_else(|| "-".into());
            let at = madsim::time::TimeHandle::try_current()
                .map(|t| t.elapsed())
                .unwrap_or_default();
            let mut text = TextVisitor::default();
            event.record(&mut text);
            recorder.lines.push(TraceLine {
                at,
                level: *event.metadata().level(),
                target: event.metadata().target(),
                node,
                text: text.finish(),
            });
        });
    }

    fn enter(&self, span: &Id) {
        // madsim enters the node span around every poll, so this is the one
        // place that runs even when a livelocked simulation never lets
        // virtual time advance. The panic unwinds out of `block_on`.
        let aborted = RECORDER
            .try_with(|r| {
                r.borrow()
                    .as_ref()
                    .is_some_and(|r| r.abort.load(Ordering::Relaxed))
            })
            .unwrap_or(false);
        if aborted {
            panic!("{WALL_CLOCK_MESSAGE}");
        }
        let _ = SPANS.try_with(|t| t.borrow_mut().entered.push(span.into_u64()));
    }

    fn exit(&self, span: &Id) {
        let _ = SPANS.try_with(|t| {
            let mut t = t.borrow_mut();
            let id = span.into_u64();
            if let Some(at) = t.entered.iter().rposition(|&e| e == id) {
                t.entered.remove(at);
            }
        });
    }

    fn clone_span(&self, span: &Id) -> Id {
        let _ = SPANS.try_with(|t| {
            if let Some(entry) = t.borrow_mut().spans.get_mut(&span.into_u64()) {
                entry.references += 1;
            }
        });
        span.clone()
    }

    fn try_close(&self, span: Id) -> bool {
        SPANS
            .try_with(|t| {
                let mut t = t.borrow_mut();
                let id = span.into_u64();
                let Some(entry) = t.spans.get_mut(&id) else {
                    return false;
                };
                entry.references -= 1;
                let closed = entry.references == 0;
                if closed {
                    t.spans.remove(&id);
                }
                closed
            })
            .unwrap_or(false)
    }
}

/// The node of the innermost entered span that names one.
fn current_node() -> Option<Arc<str>> {
    SPANS
        .try_with(|t| {
            let t = t.borrow();
            t.entered
                .iter()
                .rev()
                .find_map(|id| t.spans.get(id).and_then(|e| e.node.clone()))
        })
        .ok()
        .flatten()
}

pub(crate) const WALL_CLOCK_MESSAGE: &str =
    "wall-clock guard: the run exceeded its real-time limit (livelock?)";

struct NameVisitor(Option<String>);

impl Visit for NameVisitor {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "name" {
            self.0 = Some(value.to_string());
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "name" {
            self.0 = Some(format!("{value:?}").trim_matches('"').to_string());
        }
    }
}

#[derive(Default)]
struct TextVisitor {
    message: String,
    fields: String,
}

impl TextVisitor {
    fn finish(self) -> String {
        if self.message.is_empty() {
            self.fields.trim_start().to_string()
        } else {
            self.message + &self.fields
        }
    }
}

impl Visit for TextVisitor {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else if value.is_empty() || value.contains(char::is_whitespace) {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        } else {
            let _ = write!(self.fields, " {}={value}", field.name());
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }
}
