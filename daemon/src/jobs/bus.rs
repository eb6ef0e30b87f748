//! The change bus: every state change is broadcast as a [`Change`] to streams.

use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use dogebox_shared::wire::Change;
use serde::Serialize;
use tokio::sync::broadcast;

pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

fn now_us() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_micros() as u64).unwrap_or(0)
}

pub struct Bus {
    tx: broadcast::Sender<Change>,
    last_seq: Mutex<u64>,
}

impl Default for Bus {
    fn default() -> Self {
        Self::new()
    }
}

impl Bus {
    pub fn new() -> Self {
        let (tx, _) = broadcast::channel(1024);
        Bus { tx, last_seq: Mutex::new(0) }
    }

    /// Sequence numbers start from the clock in microseconds and then count up, so
    /// they keep increasing across daemon restarts (a restarted daemon starts above
    /// any number the previous one could have handed out) without a write per event.
    fn next_seq(&self) -> u64 {
        let mut last = self.last_seq.lock().unwrap_or_else(|p| p.into_inner());
        *last = (*last + 1).max(now_us());
        *last
    }

    pub fn emit(&self, id: &str, kind: &str, error: &str, update: impl Serialize) -> Change {
        let change = self.snapshot(id, kind, error, update);
        // No receivers is normal (nobody watching).
        let _ = self.tx.send(change.clone());
        change
    }

    /// A change stamped with the current sequence, not broadcast (for stream snapshots).
    pub fn snapshot(&self, id: &str, kind: &str, error: &str, update: impl Serialize) -> Change {
        Change {
            id: id.to_string(),
            seq: self.next_seq(),
            ts: now_ms(),
            error: error.to_string(),
            kind: kind.to_string(),
            update: serde_json::to_value(update).unwrap_or(serde_json::Value::Null),
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.tx.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seq_strictly_increases() {
        let bus = Bus::new();
        let mut rx = bus.subscribe();
        let a = bus.emit("j", "job", "", 1);
        let b = bus.emit("j", "job", "", 2);
        let c = bus.snapshot("j", "job", "", 3);
        assert!(a.seq < b.seq && b.seq < c.seq);
        assert_eq!(rx.try_recv().unwrap().seq, a.seq);
        // A second bus (a restarted daemon) starts above the first.
        let later = Bus::new().emit("j", "job", "", 4);
        assert!(later.seq > a.seq);
    }
}
