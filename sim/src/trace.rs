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
//! The node name comes from the `node` span that madsim enters around every
//! poll of a node's task; the harness (madsim's main task) is `main`.

use std::cell::RefCell;
use std::fmt::{self, Write as _};
use std::hash::Hasher;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Once};
use std::time::Duration;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;
use tracing_subscriber::registry::LookupSpan;

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
        let subscriber = tracing_subscriber::registry().with(RunLayer);
        if tracing::subscriber::set_global_default(subscriber).is_err() {
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

/// The node name recorded on a madsim `node` span.
struct NodeName(Arc<str>);

struct RunLayer;

impl RunLayer {
    /// madsim's own events (scheduling, sockets) are noise for our traces and
    /// would make them depend on madsim internals; TRACE is never recorded.
    fn wanted(metadata: &Metadata<'_>) -> bool {
        if metadata.is_span() {
            return true;
        }
        *metadata.level() <= Level::DEBUG && !metadata.target().starts_with("madsim")
    }
}

impl<S> Layer<S> for RunLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if Self::wanted(metadata) {
            Interest::always()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        Self::wanted(metadata)
    }

    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if attrs.metadata().name() != "node" {
            return;
        }
        let mut visitor = NameVisitor(None);
        attrs.record(&mut visitor);
        if let (Some(name), Some(span)) = (visitor.0, ctx.span(id)) {
            let name = if name == "madsim-main" {
                "main".into()
            } else {
                name
            };
            span.extensions_mut().insert(NodeName(name.into()));
        }
    }

    fn on_enter(&self, _id: &Id, _ctx: Context<'_, S>) {
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
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let _ = RECORDER.try_with(|r| {
            let mut r = r.borrow_mut();
            let Some(recorder) = r.as_mut() else { return };
            let node = ctx
                .event_scope(event)
                .and_then(|scope| {
                    scope
                        .from_root()
                        .find_map(|span| span.extensions().get::<NodeName>().map(|n| n.0.clone()))
                })
                .unwrap_or_else(|| "-".into());
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
