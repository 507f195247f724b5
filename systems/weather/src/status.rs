//! What an aggregator is doing, for inspectors and deadlock reports.
//!
//! Each aggregator keeps a [`Status`] up to date (the channel one through a
//! `watch` channel, the mutex one under its mutex) and registers an inspector
//! that renders it, so `dst run weather/... --until T --dump` shows the
//! pending batch at T.

use std::fmt;
use std::time::Duration;

use crate::{average, Stopped};

/// The batch an aggregator is collecting.
#[derive(Clone, Debug, PartialEq)]
pub struct Pending {
    pub batch: i64,
    /// Virtual time (since the start of the run) the batch is reported.
    pub deadline_at: Duration,
    /// Calls started for this batch (one per station).
    pub started: usize,
    /// Replies that arrived in time so far.
    pub replied: usize,
    /// Sum of their values.
    pub sum: f64,
}

/// An aggregator's state, as its inspector shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct Status {
    /// `channel` or `mutex`.
    pub aggregator: &'static str,
    pub stations: usize,
    pub average_period: Duration,
    /// The batch being collected (none once stopped).
    pub pending: Option<Pending>,
    pub reports_sent: u64,
    /// Calls still unanswered at their batch's deadline (late or never).
    pub calls_abandoned: u64,
    /// Replies that found their batch closed. Only the mutex aggregator
    /// checks, as a safety net: it aborts a closed batch's calls in the step
    /// that closes it, so this stays 0.
    pub late_replies_ignored: u64,
    pub stopped: Option<Stopped>,
}

impl Status {
    pub fn new(aggregator: &'static str, stations: usize, average_period: Duration) -> Self {
        Status {
            aggregator,
            stations,
            average_period,
            pending: None,
            reports_sent: 0,
            calls_abandoned: 0,
            late_replies_ignored: 0,
            stopped: None,
        }
    }

    /// A new batch: `started` calls, none answered yet.
    pub(crate) fn begin(&mut self, batch: i64, deadline_at: Duration, started: usize) {
        self.pending = Some(Pending {
            batch,
            deadline_at,
            started,
            replied: 0,
            sum: 0.0,
        });
    }

    /// A reply in time for the pending batch.
    pub(crate) fn reply(&mut self, value: f64) {
        let pending = self
            .pending
            .as_mut()
            .expect("a reply needs a pending batch");
        pending.replied += 1;
        pending.sum += value;
        assert!(
            pending.replied <= pending.started,
            "more replies than calls"
        );
    }

    /// Closes the pending batch: returns `(batch, average, replied)`.
    pub(crate) fn close(&mut self) -> (i64, f64, usize) {
        let pending = self.pending.take().expect("closing needs a pending batch");
        self.calls_abandoned += (pending.started - pending.replied) as u64;
        (
            pending.batch,
            average(pending.sum, pending.replied),
            pending.replied,
        )
    }

    pub(crate) fn stop(&mut self, why: Stopped) {
        self.pending = None;
        self.stopped = Some(why);
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} aggregator: k={} average_period={:?}",
            self.aggregator, self.stations, self.average_period
        )?;
        match (&self.pending, self.stopped) {
            (_, Some(why)) => writeln!(f, "stopped: {why}")?,
            (Some(p), None) => writeln!(
                f,
                "pending batch {} (report at {:.6}s): {} calls started, {} replied in time \
                 (sum {}), {} outstanding",
                p.batch,
                p.deadline_at.as_secs_f64(),
                p.started,
                p.replied,
                p.sum,
                p.started - p.replied
            )?,
            (None, None) => writeln!(f, "between batches")?,
        }
        write!(
            f,
            "reports sent: {}; calls abandoned at a deadline: {}; late replies ignored: {}",
            self.reports_sent, self.calls_abandoned, self.late_replies_ignored
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_lifecycle() {
        let mut s = Status::new("channel", 3, Duration::from_millis(800));
        s.begin(0, Duration::from_millis(800), 3);
        s.reply(10.0);
        s.reply(20.0);
        assert!(s.to_string().contains("pending batch 0 (report at 0.800000s): 3 calls started, 2 replied in time (sum 30), 1 outstanding"), "{s}");
        assert_eq!(s.close(), (0, 15.0, 2));
        assert_eq!(s.calls_abandoned, 1);
        s.begin(1, Duration::from_millis(1600), 3);
        let (batch, value, replied) = s.close();
        assert_eq!((batch, replied), (1, 0));
        assert!(value.is_nan());
        s.stop(Stopped::Quit);
        assert!(s.to_string().contains("stopped: quit"), "{s}");
    }
}
