//! The coordinator's bookkeeping as a pure state machine: which tasks exist,
//! which are handed out, which are done. No clock, no I/O: the caller passes
//! the current time into every step, so the same inputs give the same answers.
//!
//! Rules (lab README): all map tasks, one per input file, come before any
//! reduce task; a task handed out and not reported done within 10 s is given
//! to the next worker that asks (its first worker may be dead, stalled or just
//! slow, the coordinator cannot tell); the first completion report of a task
//! counts, later ones are ignored, which is safe because every attempt of a
//! task writes the same files through atomic renames.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The lab's timeout before a task is presumed lost.
pub const REISSUE_AFTER: Duration = Duration::from_secs(10);
/// `mrcoordinator.go` calls `MakeCoordinator(files, 10)`.
pub const DEFAULT_N_REDUCE: usize = 10;

/// Names one task of the job.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum TaskId {
    Map(usize),
    Reduce(usize),
}

/// The coordinator's answer to a worker asking for work.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Assignment {
    /// Map input `file` and split its pairs into `n_reduce` files `mr-<task>-*`.
    Map {
        task: usize,
        file: String,
        n_reduce: usize,
    },
    /// Reduce the files `mr-*-<task>` written by the `n_map` map tasks.
    Reduce { task: usize, n_map: usize },
    /// Every remaining task is handed out and not yet overdue: ask again later.
    Wait,
    /// The job is done: the "please exit" pseudo-task.
    Exit,
}

/// Totals of a job, for checks and summaries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TableStats {
    /// Map tasks handed out, re-issues included.
    pub map_issues: u64,
    /// Reduce tasks handed out, re-issues included.
    pub reduce_issues: u64,
    pub maps_done: usize,
    pub reduces_done: usize,
    /// Completion reports ignored because the task was already done.
    pub duplicates: u64,
}

/// What a completion report did to the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Completion {
    /// The first report for this task: it is now done.
    Accepted,
    /// The task was already done (a re-issued copy finished too): ignored.
    Duplicate,
    /// No such task was ever handed out: ignored.
    Unknown,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Slot {
    Idle,
    Running { issued_at: Duration },
    Done,
}

/// One phase's tasks.
#[derive(Clone, Debug)]
struct Phase {
    slots: Vec<Slot>,
    /// How many times each task was handed out, for checks and traces.
    issues: Vec<u32>,
    done: usize,
    /// Completion reports for tasks already done.
    duplicates: u64,
}

impl Phase {
    fn new(tasks: usize) -> Self {
        Phase {
            slots: vec![Slot::Idle; tasks],
            issues: vec![0; tasks],
            done: 0,
            duplicates: 0,
        }
    }

    fn is_done(&self) -> bool {
        self.done == self.slots.len()
    }

    /// The task to hand out at `now`: never issued first, then the longest
    /// overdue one.
    fn pick(&self, now: Duration, reissue_after: Duration) -> Option<usize> {
        if let Some(idle) = self.slots.iter().position(|slot| *slot == Slot::Idle) {
            return Some(idle);
        }
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(index, slot)| match slot {
                Slot::Running { issued_at } if now.saturating_sub(*issued_at) >= reissue_after => {
                    Some((*issued_at, index))
                }
                _ => None,
            })
            .min()
            .map(|(_, index)| index)
    }

    fn issue(&mut self, index: usize, now: Duration) {
        assert_ne!(
            self.slots[index],
            Slot::Done,
            "a done task is never re-issued"
        );
        self.slots[index] = Slot::Running { issued_at: now };
        self.issues[index] += 1;
    }

    fn complete(&mut self, index: usize) -> Completion {
        match self.slots.get(index) {
            None | Some(Slot::Idle) => Completion::Unknown,
            Some(Slot::Done) => {
                self.duplicates += 1;
                Completion::Duplicate
            }
            Some(Slot::Running { .. }) => {
                self.slots[index] = Slot::Done;
                self.done += 1;
                assert!(self.done <= self.slots.len());
                Completion::Accepted
            }
        }
    }
}

/// All tasks of one job and their states.
#[derive(Clone, Debug)]
pub struct TaskTable {
    files: Vec<String>,
    n_reduce: usize,
    /// `Duration::MAX` never re-issues (only for fixtures that must fail).
    reissue_after: Duration,
    maps: Phase,
    reduces: Phase,
    /// The latest time seen; time passed in must not go backwards.
    now: Duration,
}

impl TaskTable {
    /// A job with one map task per file and `n_reduce` reduce tasks.
    pub fn new(files: Vec<String>, n_reduce: usize, reissue_after: Duration) -> Self {
        assert!(n_reduce > 0, "a job needs at least one reduce task");
        assert!(
            !reissue_after.is_zero(),
            "a zero timeout re-issues every task at once"
        );
        TaskTable {
            maps: Phase::new(files.len()),
            reduces: Phase::new(n_reduce),
            files,
            n_reduce,
            reissue_after,
            now: Duration::ZERO,
        }
    }

    pub fn n_map(&self) -> usize {
        self.files.len()
    }

    pub fn n_reduce(&self) -> usize {
        self.n_reduce
    }

    /// The lab's `Done()`: every reduce task has been reported done.
    pub fn is_done(&self) -> bool {
        self.maps.is_done() && self.reduces.is_done()
    }

    /// Whether every task has been handed out at least once: what a
    /// coordinator that confuses "issued" with "done" would report.
    pub fn all_issued(&self) -> bool {
        self.maps.is_done() && !self.reduces.slots.contains(&Slot::Idle)
    }

    /// Totals over the whole job so far.
    pub fn stats(&self) -> TableStats {
        TableStats {
            map_issues: self.maps.issues.iter().map(|n| u64::from(*n)).sum(),
            reduce_issues: self.reduces.issues.iter().map(|n| u64::from(*n)).sum(),
            maps_done: self.maps.done,
            reduces_done: self.reduces.done,
            duplicates: self.maps.duplicates + self.reduces.duplicates,
        }
    }

    /// How many times `task` has been handed out.
    pub fn issues(&self, task: TaskId) -> u32 {
        match task {
            TaskId::Map(index) => self.maps.issues[index],
            TaskId::Reduce(index) => self.reduces.issues[index],
        }
    }

    /// Answer a worker asking for work at time `now`.
    pub fn assign(&mut self, now: Duration) -> Assignment {
        self.advance(now);
        if self.is_done() {
            return Assignment::Exit;
        }
        // No reduce may start before the last map is done: it would miss
        // that map's pairs.
        if !self.maps.is_done() {
            let Some(task) = self.maps.pick(now, self.reissue_after) else {
                return Assignment::Wait;
            };
            self.maps.issue(task, now);
            return Assignment::Map {
                task,
                file: self.files[task].clone(),
                n_reduce: self.n_reduce,
            };
        }
        let Some(task) = self.reduces.pick(now, self.reissue_after) else {
            return Assignment::Wait;
        };
        self.reduces.issue(task, now);
        Assignment::Reduce {
            task,
            n_map: self.n_map(),
        }
    }

    /// Record that a worker finished `task` (all its files renamed into place).
    pub fn complete(&mut self, task: TaskId, now: Duration) -> Completion {
        self.advance(now);
        let completion = match task {
            TaskId::Map(index) => self.maps.complete(index),
            TaskId::Reduce(index) => self.reduces.complete(index),
        };
        // A reduce can only have been issued, hence completed, after the maps.
        assert!(self.reduces.done == 0 || self.maps.is_done());
        completion
    }

    /// One line per unfinished task, for deadlock reports and `--dump`.
    pub fn describe(&self) -> String {
        let mut text = format!(
            "{}/{} maps and {}/{} reduces done\n",
            self.maps.done,
            self.maps.slots.len(),
            self.reduces.done,
            self.reduces.slots.len()
        );
        let phases = [("map", &self.maps), ("reduce", &self.reduces)];
        for (kind, phase) in phases {
            for (index, slot) in phase.slots.iter().enumerate() {
                let issues = phase.issues[index];
                match slot {
                    Slot::Done => {}
                    Slot::Idle => text.push_str(&format!("{kind} {index}: not issued\n")),
                    Slot::Running { issued_at } => text.push_str(&format!(
                        "{kind} {index}: running since {:.3}s, issued {issues}x\n",
                        issued_at.as_secs_f64()
                    )),
                }
            }
        }
        text
    }

    fn advance(&mut self, now: Duration) {
        assert!(
            now >= self.now,
            "time went backwards: {now:?} < {:?}",
            self.now
        );
        self.now = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(seconds: u64) -> Duration {
        Duration::from_secs(seconds)
    }

    fn table(files: usize, n_reduce: usize) -> TaskTable {
        let files = (0..files).map(|index| format!("pg-{index}.txt")).collect();
        TaskTable::new(files, n_reduce, REISSUE_AFTER)
    }

    fn map_task(assignment: &Assignment) -> usize {
        match assignment {
            Assignment::Map { task, .. } => *task,
            other => panic!("expected a map task, got {other:?}"),
        }
    }

    fn reduce_task(assignment: &Assignment) -> usize {
        match assignment {
            Assignment::Reduce { task, .. } => *task,
            other => panic!("expected a reduce task, got {other:?}"),
        }
    }

    /// The whole happy path: maps in order, a wait while maps are out, then
    /// reduces, then exit.
    #[test]
    fn maps_then_reduces_then_exit() {
        let mut table = table(2, 3);
        let first = table.assign(secs(0));
        assert_eq!(
            first,
            Assignment::Map {
                task: 0,
                file: "pg-0.txt".into(),
                n_reduce: 3
            }
        );
        assert_eq!(map_task(&table.assign(secs(0))), 1);
        // Both maps are out: reduces must not start yet.
        assert_eq!(table.assign(secs(1)), Assignment::Wait);
        assert_eq!(
            table.complete(TaskId::Map(1), secs(2)),
            Completion::Accepted
        );
        assert_eq!(table.assign(secs(2)), Assignment::Wait);
        assert_eq!(
            table.complete(TaskId::Map(0), secs(3)),
            Completion::Accepted
        );
        for expected in 0..3 {
            let assignment = table.assign(secs(3));
            assert_eq!(
                assignment,
                Assignment::Reduce {
                    task: expected,
                    n_map: 2
                }
            );
        }
        assert_eq!(table.assign(secs(3)), Assignment::Wait);
        for task in 0..3 {
            assert!(!table.is_done());
            assert_eq!(
                table.complete(TaskId::Reduce(task), secs(4)),
                Completion::Accepted
            );
        }
        assert!(table.is_done());
        assert_eq!(table.assign(secs(5)), Assignment::Exit);
    }

    /// A task is re-issued at exactly 10 s after it was handed out, not before.
    #[test]
    fn overdue_task_is_reissued_after_ten_seconds() {
        let mut table = table(1, 1);
        assert_eq!(map_task(&table.assign(secs(5))), 0);
        let just_before = secs(5) + REISSUE_AFTER - Duration::from_millis(1);
        assert_eq!(table.assign(just_before), Assignment::Wait);
        assert_eq!(map_task(&table.assign(secs(5) + REISSUE_AFTER)), 0);
        assert_eq!(table.issues(TaskId::Map(0)), 2);
        // The re-issue restarted the clock for this task.
        assert_eq!(table.assign(secs(16)), Assignment::Wait);
    }

    /// Among overdue tasks the longest overdue goes first.
    #[test]
    fn longest_overdue_task_goes_first() {
        let mut table = table(2, 1);
        assert_eq!(map_task(&table.assign(secs(0))), 0);
        assert_eq!(map_task(&table.assign(secs(0))), 1);
        assert_eq!(map_task(&table.assign(secs(10))), 0);
        assert_eq!(map_task(&table.assign(secs(10))), 1);
        assert_eq!(map_task(&table.assign(secs(20))), 0);
    }

    /// Two workers finish the same re-issued task: the first report counts.
    #[test]
    fn second_completion_of_a_duplicated_task_is_ignored() {
        let mut table = table(1, 1);
        table.assign(secs(0));
        table.assign(secs(10));
        assert_eq!(
            table.complete(TaskId::Map(0), secs(11)),
            Completion::Accepted
        );
        assert_eq!(
            table.complete(TaskId::Map(0), secs(12)),
            Completion::Duplicate
        );
        assert_eq!(reduce_task(&table.assign(secs(12))), 0);
        assert_eq!(
            table.complete(TaskId::Reduce(0), secs(13)),
            Completion::Accepted
        );
        assert_eq!(
            table.complete(TaskId::Reduce(0), secs(14)),
            Completion::Duplicate
        );
        assert!(table.is_done());
    }

    /// The totals count re-issues and ignored duplicates; "all issued" comes
    /// before "done".
    #[test]
    fn stats_and_all_issued() {
        let mut table = table(1, 1);
        table.assign(secs(0));
        table.assign(secs(10));
        table.complete(TaskId::Map(0), secs(11));
        table.complete(TaskId::Map(0), secs(11));
        assert!(!table.all_issued());
        table.assign(secs(11));
        assert!(table.all_issued() && !table.is_done());
        let stats = table.stats();
        assert_eq!((stats.map_issues, stats.reduce_issues), (2, 1));
        assert_eq!(
            (stats.maps_done, stats.reduces_done, stats.duplicates),
            (1, 0, 1)
        );
    }

    /// Reports for tasks never handed out change nothing.
    #[test]
    fn unknown_completions_are_ignored() {
        let mut table = table(1, 2);
        assert_eq!(table.complete(TaskId::Map(0), secs(0)), Completion::Unknown);
        assert_eq!(table.complete(TaskId::Map(7), secs(0)), Completion::Unknown);
        assert_eq!(
            table.complete(TaskId::Reduce(0), secs(0)),
            Completion::Unknown
        );
        assert_eq!(map_task(&table.assign(secs(0))), 0);
        assert_eq!(
            table.complete(TaskId::Reduce(1), secs(0)),
            Completion::Unknown
        );
        assert!(!table.is_done());
    }

    /// A done task is never handed out again, however old.
    #[test]
    fn done_tasks_are_never_reissued() {
        let mut table = table(2, 1);
        table.assign(secs(0));
        table.assign(secs(0));
        table.complete(TaskId::Map(0), secs(1));
        assert_eq!(map_task(&table.assign(secs(100))), 1);
        assert_eq!(table.issues(TaskId::Map(0)), 1);
    }

    /// A table that never re-issues (the fixture for a broken coordinator).
    #[test]
    fn infinite_timeout_never_reissues() {
        let mut table = TaskTable::new(vec!["f".into()], 1, Duration::MAX);
        table.assign(secs(0));
        assert_eq!(table.assign(secs(1_000_000)), Assignment::Wait);
    }

    /// No input files: the map phase is empty and the reduces run at once.
    #[test]
    fn no_inputs_goes_straight_to_reduce() {
        let mut table = table(0, 2);
        assert_eq!(
            table.assign(secs(0)),
            Assignment::Reduce { task: 0, n_map: 0 }
        );
    }

    #[test]
    #[should_panic(expected = "time went backwards")]
    fn time_must_not_go_backwards() {
        let mut table = table(1, 1);
        table.assign(secs(2));
        table.assign(secs(1));
    }
}
