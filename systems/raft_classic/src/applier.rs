//! The applier task: hands committed entries to the service, in order.

use madsim::time::timeout;
use raft_api::ApplyMsg;

use crate::{Raft, APPLIER_WAIT};

impl Raft {
    /// Sends every entry up to commitIndex on the apply channel, in index
    /// order from index 1 (lastApplied starts at 0 after every restart), then
    /// waits for commitIndex to move.
    pub(crate) async fn applier(self) {
        while !self.killed() {
            // Take the entries under the lock, send them without it.
            let batch: Vec<ApplyMsg> = {
                let mut s = self.lock();
                let from = s.last_applied + 1;
                s.last_applied = s.commit_index;
                (from..=s.commit_index)
                    .map(|index| ApplyMsg {
                        command_valid: true,
                        command: s.log[index as usize].command.clone(),
                        command_index: index,
                    })
                    .collect()
            };
            if batch.is_empty() {
                let _ = timeout(APPLIER_WAIT, self.peer.applier_wakeup.notified()).await;
                continue;
            }
            for message in batch {
                if self.peer.apply_ch.send(message).is_err() {
                    return; // The service is gone.
                }
            }
        }
    }
}
