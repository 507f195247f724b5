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
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
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

impl TraceLine {
    /// Writes the rendered line, `{secs:>4}.{micros:06} {node:<10}
    /// {level:<5} {target} {text}`, piece by piece. Why not `write!`: every
    /// line of every run is rendered for the trace hash, and the formatting
    /// machinery with padding was a tenth of a Raft run.
    fn render<W: fmt::Write>(&self, w: &mut W) -> fmt::Result {
        fn pad<W: fmt::Write>(w: &mut W, fill: char, n: usize) -> fmt::Result {
            (0..n).try_for_each(|_| w.write_char(fill))
        }
        let mut number = itoa::Buffer::new();
        let secs = number.format(self.at.as_secs());
        pad(w, ' ', 4usize.saturating_sub(secs.len()))?;
        w.write_str(secs)?;
        w.write_char('.')?;
        let micros = number.format(self.at.subsec_micros());
        pad(w, '0', 6usize.saturating_sub(micros.len()))?;
        w.write_str(micros)?;
        w.write_char(' ')?;
        w.write_str(&self.node)?;
        pad(w, ' ', 10usize.saturating_sub(self.node.chars().count()))?;
        w.write_char(' ')?;
        let level = level_name(self.level);
        w.write_str(level)?;
        pad(w, ' ', 5 - level.len())?;
        w.write_char(' ')?;
        w.write_str(self.target)?;
        w.write_char(' ')?;
        w.write_str(&self.text)
    }
}

impl fmt::Display for TraceLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.render(f)
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
    /// Where each line was emitted (`file:line`), when the process asked for
    /// call sites ([`record_call_sites`]); empty otherwise. Not part of the
    /// hash: it names the code, not what the run did.
    pub sites: Vec<Option<(&'static str, u32)>>,
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
            line.render(&mut writer).expect("hashing cannot fail");
            writer.0.write(b"\n");
        }
        writer.0.finish()
    }

    /// Where line `index` was emitted, `file:line`, if call sites were
    /// recorded and `tracing` knows it.
    pub fn call_site(&self, index: usize) -> Option<String> {
        let (file, line) = (*self.sites.get(index)?)?;
        Some(format!("{file}:{line}"))
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
    /// Call sites, one per line, when [`RECORD_SITES`] is set.
    sites: Vec<Option<(&'static str, u32)>>,
    /// Set when the run's body has ended: what its leftover tasks do while
    /// they are torn down is not part of the run.
    sealed: bool,
}

thread_local! {
    static RECORDER: RefCell<Option<Recorder>> = const { RefCell::new(None) };
}

/// Whether runs record each line's call site (see [`Trace::sites`]).
static RECORD_SITES: AtomicBool = AtomicBool::new(false);

/// Makes the runs started from now on in this process record where each
/// trace line was emitted: for telling where two traces part (`dst sweep
/// --check-determinism`); off by default, as no other tool needs it.
pub fn record_call_sites(on: bool) {
    RECORD_SITES.store(on, Ordering::Relaxed);
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

/// Starts recording on this thread; `abort` is the run's wall-clock flag.
pub(crate) fn begin(abort: Arc<AtomicBool>) {
    install();
    RECORDER.with(|r| {
        *r.borrow_mut() = Some(Recorder {
            lines: Vec::with_capacity(1024),
            sites: Vec::new(),
            sealed: false,
        })
    });
    SPANS.with(|t| {
        let mut t = t.borrow_mut();
        t.abort = Some(abort);
        t.polls = 0;
        t.spawns = 0;
        t.counting = true;
    });
}

/// Records nothing more of this thread's run (see [`Recorder::sealed`]),
/// and counts no more polls or spawns: the teardown is not the run's work.
pub(crate) fn seal() {
    RECORDER.with(|r| {
        if let Some(r) = r.borrow_mut().as_mut() {
            r.sealed = true;
        }
    });
    SPANS.with(|t| t.borrow_mut().counting = false);
}

/// Stops recording on this thread and returns what was recorded.
pub(crate) fn end() -> Trace {
    let recorder = RECORDER.with(|r| r.borrow_mut().take());
    SPANS.with(|t| t.borrow_mut().abort = None);
    let (lines, sites) = recorder.map(|r| (r.lines, r.sites)).unwrap_or_default();
    Trace { lines, sites }
}

/// How many times a task was polled in this thread's run so far (madsim
/// enters a task's span around each poll): the executor's unit of work,
/// which `dst bench` compares with bare madsim's cost per poll.
pub fn polls() -> u64 {
    SPANS.try_with(|t| t.borrow().polls).unwrap_or(0)
}

/// How many tasks were spawned in this thread's run so far (madsim creates
/// a `task` span for each).
pub fn spawns() -> u64 {
    SPANS.try_with(|t| t.borrow().spawns).unwrap_or(0)
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

/// The spans of the runs on this thread, and the stack of entered spans.
///
/// Why a slab and not a map: every poll costs four span calls (clone, enter,
/// exit, close), so a lookup must be an index, not a hash (the FNV map that
/// was here cost 15% of the bank's run). A span's id is this thread's tag in
/// the high 32 bits and its slot + 1 in the low 32 bits: ids are unique
/// across threads, so a span that strays to another thread is merely unknown
/// there, never confused with another. A closed span's slot is reused.
struct SpanTable {
    /// This thread's tag; 0 until the first span.
    tag: u64,
    slots: Vec<SpanEntry>,
    free: Vec<u32>,
    entered: Vec<u64>,
    /// The run's wall-clock flag (see [`begin`]), checked on every enter.
    abort: Option<Arc<AtomicBool>>,
    /// Task polls so far in this run (see [`polls`]).
    polls: u64,
    /// Tasks spawned so far in this run (see [`spawns`]).
    spawns: u64,
    /// Whether polls and spawns are counted (from `begin` to `seal`).
    counting: bool,
}

struct SpanEntry {
    /// Set on madsim's `node` spans: the node's name (`main` for the harness).
    node: Option<Arc<str>>,
    /// 0 for a free slot.
    references: usize,
    /// madsim's `task` span, entered around each poll.
    is_task: bool,
}

impl SpanTable {
    const fn new() -> Self {
        SpanTable {
            tag: 0,
            slots: Vec::new(),
            free: Vec::new(),
            entered: Vec::new(),
            abort: None,
            polls: 0,
            spawns: 0,
            counting: false,
        }
    }

    fn slot(&self, id: u64) -> Option<usize> {
        if self.tag == 0 || id >> 32 != self.tag {
            return None;
        }
        let slot = (id & 0xffff_ffff) as usize - 1;
        (self.slots.get(slot)?.references > 0).then_some(slot)
    }

    fn get(&self, id: u64) -> Option<&SpanEntry> {
        self.slot(id).map(|s| &self.slots[s])
    }

    fn insert(&mut self, entry: SpanEntry) -> u64 {
        if self.tag == 0 {
            // Tags wrap after 2^32 threads; a clash then needs a span to
            // stray between two of them, which madsim never does.
            self.tag = u64::from(NEXT_TAG.fetch_add(1, Ordering::Relaxed).max(1));
        }
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot as usize] = entry;
                slot
            }
            None => {
                self.slots.push(entry);
                u32::try_from(self.slots.len() - 1).expect("fewer than 2^32 live spans")
            }
        };
        self.tag << 32 | (u64::from(slot) + 1)
    }
}

thread_local! {
    static SPANS: RefCell<SpanTable> = const { RefCell::new(SpanTable::new()) };
}

/// The next thread tag (see [`SpanTable`]).
static NEXT_TAG: AtomicU32 = AtomicU32::new(1);

/// madsim's own events (scheduling, sockets) are noise for our traces and
/// would make them depend on madsim internals; TRACE is never recorded,
/// except madsim's two Endpoint datagram events, recorded as node-to-node
/// lines (see [`crate::endpoint_trace`]).
fn wanted(metadata: &Metadata<'_>) -> bool {
    if metadata.is_span() {
        return true;
    }
    (*metadata.level() <= Level::DEBUG && !metadata.target().starts_with("madsim"))
        || crate::endpoint_trace::wanted(metadata)
}

impl Subscriber for RunSubscriber {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if crate::endpoint_trace::wanted(metadata) {
            // Asked per event (`enabled`), so that `sim::rpc`'s own
            // datagrams cost no event at all.
            Interest::sometimes()
        } else if wanted(metadata) {
            Interest::always()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        if crate::endpoint_trace::wanted(metadata) {
            return crate::endpoint_trace::seen();
        }
        wanted(metadata)
    }

    fn new_span(&self, attrs: &Attributes<'_>) -> Id {
        let metadata = attrs.metadata();
        let madsim = metadata.target().starts_with("madsim");
        let own = (madsim && metadata.name() == "node")
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
        let is_task = madsim && metadata.name() == "task";
        SPANS
            .try_with(|t| {
                let mut t = t.borrow_mut();
                // A span that is not a node's inherits its parent's node
                // (madsim's `task` spans are children of their node's span).
                let parent = match attrs.parent() {
                    Some(p) => Some(p.into_u64()),
                    None if attrs.is_contextual() => t.entered.last().copied(),
                    None => None,
                };
                let node = own.or_else(|| parent.and_then(|p| t.get(p)?.node.clone()));
                t.spawns += u64::from(is_task && t.counting);
                let id = t.insert(SpanEntry {
                    node,
                    references: 1,
                    is_task,
                });
                Id::from_u64(id)
            })
            // Thread teardown: a span nobody will look up.
            .unwrap_or_else(|_| Id::from_u64(u64::MAX))
    }

    fn record(&self, _span: &Id, _values: &Record<'_>) {}

    fn record_follows_from(&self, _span: &Id, _follows: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let _ = RECORDER.try_with(|r| {
            let mut r = r.borrow_mut();
            let Some(recorder) = r.as_mut().filter(|r| !r.sealed) else {
                return;
            };
            let node = current_node().unwrap_or_else(|| "-".into());
            let (level, target, text) = if crate::endpoint_trace::wanted(event.metadata()) {
                let Some((level, text)) = crate::endpoint_trace::line(event, &node) else {
                    return;
                };
                (level, crate::endpoint_trace::TARGET, text)
            } else {
                let mut text = TextVisitor::new();
                event.record(&mut text);
                (
                    *event.metadata().level(),
                    event.metadata().target(),
                    text.finish(),
                )
            };
            let at = madsim::time::TimeHandle::try_current()
                .map(|t| t.elapsed())
                .unwrap_or_default();
            recorder.lines.push(TraceLine {
                at,
                level,
                target,
                node,
                text,
            });
            if RECORD_SITES.load(Ordering::Relaxed) {
                let metadata = event.metadata();
                let site = metadata.file().zip(metadata.line());
                recorder.sites.push(site);
            }
        });
    }

    fn enter(&self, span: &Id) {
        let _ = SPANS.try_with(|t| {
            let mut t = t.borrow_mut();
            // madsim enters a task's span around every poll, so this is the
            // one place that runs even when a livelocked simulation never
            // lets virtual time advance. The panic unwinds out of `block_on`.
            if t.abort.as_ref().is_some_and(|a| a.load(Ordering::Relaxed)) {
                drop(t);
                panic!("{WALL_CLOCK_MESSAGE}");
            }
            let id = span.into_u64();
            if t.counting && t.get(id).is_some_and(|e| e.is_task) {
                t.polls += 1;
            }
            t.entered.push(id);
        });
    }

    fn exit(&self, span: &Id) {
        let _ = SPANS.try_with(|t| {
            let mut t = t.borrow_mut();
            let id = span.into_u64();
            // Spans exit in the reverse order of entering, as a rule: pop
            // (a `remove` of the last element still calls memmove, once per
            // poll).
            if t.entered.last() == Some(&id) {
                t.entered.pop();
            } else if let Some(at) = t.entered.iter().rposition(|&e| e == id) {
                t.entered.remove(at);
            }
        });
    }

    fn clone_span(&self, span: &Id) -> Id {
        let _ = SPANS.try_with(|t| {
            let mut t = t.borrow_mut();
            if let Some(slot) = t.slot(span.into_u64()) {
                t.slots[slot].references += 1;
            }
        });
        span.clone()
    }

    fn try_close(&self, span: Id) -> bool {
        SPANS
            .try_with(|t| {
                let mut t = t.borrow_mut();
                let Some(slot) = t.slot(span.into_u64()) else {
                    return false;
                };
                let entry = &mut t.slots[slot];
                entry.references -= 1;
                let closed = entry.references == 0;
                if closed {
                    entry.node = None;
                    t.free.push(slot as u32);
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
                .find_map(|&id| t.get(id).and_then(|e| e.node.clone()))
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

/// An event's text in one buffer: the message, then ` key=value` per
/// field. `tracing`'s macros record the message first; a message recorded
/// after fields is moved to the front, so the text is the same either way.
struct TextVisitor {
    text: String,
    /// Length of the message at the front of `text`.
    message_len: usize,
}

impl TextVisitor {
    fn new() -> Self {
        TextVisitor {
            text: String::with_capacity(64),
            message_len: 0,
        }
    }

    fn message(&mut self, write: impl FnOnce(&mut String)) {
        if self.text.is_empty() {
            write(&mut self.text);
            self.message_len = self.text.len();
        } else {
            let mut message = String::new();
            write(&mut message);
            self.message_len = message.len();
            self.text.insert_str(0, &message);
        }
    }

    fn finish(mut self) -> String {
        // Without a message the text starts with the first field's space.
        if self.message_len == 0 && self.text.starts_with(' ') {
            self.text.remove(0);
        }
        self.text
    }

    /// Starts field ` name=`.
    fn key(&mut self, field: &Field) {
        self.text.push(' ');
        self.text.push_str(field.name());
        self.text.push('=');
    }
}

/// Integers and booleans are written directly rather than through their
/// `Debug` (the same text, without the formatting machinery: every RPC
/// records a few).
impl Visit for TextVisitor {
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.key(field);
        self.text.push_str(itoa::Buffer::new().format(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.key(field);
        self.text.push_str(itoa::Buffer::new().format(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.key(field);
        self.text.push_str(if value { "true" } else { "false" });
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message(|text| text.push_str(value));
        } else if value.is_empty() || value.contains(char::is_whitespace) {
            let _ = write!(self.text, " {}={value:?}", field.name());
        } else {
            self.key(field);
            self.text.push_str(value);
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            self.message(|text| {
                let _ = write!(text, "{value:?}");
            });
        } else {
            let _ = write!(self.text, " {}={value:?}", field.name());
        }
    }
}
