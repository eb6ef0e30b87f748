//! Counts what keeps the daemon busy: running jobs and open connections.

use std::sync::Arc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct Activity {
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    connections: usize,
    jobs: usize,
    /// When the count last dropped to zero (or the daemon started).
    quiet_since: Instant,
}

impl Default for Activity {
    fn default() -> Self {
        Activity { state: Mutex::new(State { connections: 0, jobs: 0, quiet_since: Instant::now() }) }
    }
}

/// Decrements its counter when dropped.
pub struct ActivityGuard {
    activity: Arc<Activity>,
    job: bool,
}

impl Drop for ActivityGuard {
    fn drop(&mut self) {
        let mut s = self.activity.lock();
        if self.job {
            s.jobs = s.jobs.saturating_sub(1);
        } else {
            s.connections = s.connections.saturating_sub(1);
        }
        if s.jobs == 0 && s.connections == 0 {
            s.quiet_since = Instant::now();
        }
    }
}

impl Activity {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn connection_opened(self: &Arc<Self>) -> ActivityGuard {
        self.lock().connections += 1;
        ActivityGuard { activity: self.clone(), job: false }
    }

    pub fn job_started(self: &Arc<Self>) -> ActivityGuard {
        self.lock().jobs += 1;
        ActivityGuard { activity: self.clone(), job: true }
    }

    /// How long nothing has been going on; zero while something is.
    pub fn idle_for(&self) -> Duration {
        let s = self.lock();
        if s.jobs > 0 || s.connections > 0 { Duration::ZERO } else { s.quiet_since.elapsed() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_while_guards_live() {
        let a = Arc::new(Activity::default());
        let job = a.job_started();
        let conn = a.connection_opened();
        assert_eq!(a.idle_for(), Duration::ZERO);
        drop(job);
        assert_eq!(a.idle_for(), Duration::ZERO);
        drop(conn);
        std::thread::sleep(Duration::from_millis(5));
        assert!(a.idle_for() >= Duration::from_millis(5));
    }
}
