//! The job queue: records persisted before a job runs, per-pup ordering, progress
//! reported as changes on the bus.

pub mod bus;

use std::collections::HashMap;
use std::fmt::Display;
use std::future::Future;
use std::sync::{Arc, Mutex};

use dogebox_shared::wire::{
    Action, CHANGE_JOB, CHANGE_LOG, CHANGE_PROGRESS, JobRecord, JobStatus, LogLine, Progress,
};
use serde_json::Value;
use tokio::sync::oneshot;

use crate::listen::Activity;
use crate::store::{Store, StoreError};
use bus::{Bus, now_ms};

pub fn new_id() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

pub struct Jobs {
    store: Arc<Store>,
    bus: Arc<Bus>,
    activity: Arc<Activity>,
    /// Per key (one pup), the signal that the last job submitted for it has ended: each
    /// new job waits for its predecessor, so jobs for one pup run in submission order.
    tails: Mutex<HashMap<String, oneshot::Receiver<()>>>,
}

/// Handed to a running job to report what it does.
pub struct JobCtx {
    store: Arc<Store>,
    bus: Arc<Bus>,
    record: Mutex<JobRecord>,
}

impl JobCtx {
    pub fn id(&self) -> String {
        self.lock().id.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, JobRecord> {
        self.record.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Enter a step: persists the record and emits `job` and `progress` changes.
    pub fn step(&self, step: &str, progress: u8, msg: &str) {
        let snapshot = {
            let mut r = self.lock();
            r.step = step.to_string();
            r.progress = progress.min(100).max(r.progress);
            r.message = msg.to_string();
            r.clone()
        };
        if let Err(e) = self.store.update_job_if(&snapshot, JobStatus::Running) {
            tracing::warn!(job = %snapshot.id, error = %e, "cannot persist job progress");
        }
        self.bus.emit(&snapshot.id, CHANGE_JOB, "", &snapshot);
        self.bus.emit(
            &snapshot.id,
            CHANGE_PROGRESS,
            "",
            Progress {
                job_id: snapshot.id.clone(),
                pup_id: snapshot.pup_id.clone(),
                progress: snapshot.progress,
                step: snapshot.step.clone(),
                msg: snapshot.message.clone(),
            },
        );
        tracing::info!(job = %snapshot.id, step, progress, "{msg}");
    }

    /// A line of output (build log, …).
    pub fn log(&self, line: &str) {
        let (id, pup_id) = {
            let r = self.lock();
            (r.id.clone(), r.pup_id.clone())
        };
        self.bus.emit(&id, CHANGE_LOG, "", LogLine { job_id: id.clone(), pup_id, line: line.to_string() });
    }

    /// The pup a job works on, once known (an install learns its id as it starts).
    pub fn set_pup(&self, id: &str, name: &str) {
        let snapshot = {
            let mut r = self.lock();
            r.pup_id = Some(id.to_string());
            r.pup_name = Some(name.to_string());
            r.clone()
        };
        if let Err(e) = self.store.update_job_if(&snapshot, JobStatus::Running) {
            tracing::warn!(job = %snapshot.id, error = %e, "cannot persist job pup");
        }
    }
}

impl Jobs {
    pub fn new(store: Arc<Store>, bus: Arc<Bus>, activity: Arc<Activity>) -> Self {
        Jobs { store, bus, activity, tails: Mutex::new(HashMap::new()) }
    }

    pub fn bus(&self) -> &Arc<Bus> {
        &self.bus
    }

    /// Mark every job the previous daemon left queued or running as interrupted.
    /// Compare-and-set: a job that finished in the meantime keeps its state.
    pub fn recover(&self) -> Result<Vec<JobRecord>, StoreError> {
        let mut interrupted = Vec::new();
        for mut job in self.store.live_jobs()? {
            let was = job.status;
            job.status = JobStatus::Interrupted;
            job.finished = Some(now_ms());
            job.error = Some("the daemon stopped while this job was running".to_string());
            job.message = "interrupted".to_string();
            if self.store.update_job_if(&job, was)? {
                tracing::warn!(job = %job.id, action = %job.action, "job interrupted by a daemon restart");
                self.bus.emit(&job.id, CHANGE_JOB, job.error.as_deref().unwrap_or(""), &job);
                interrupted.push(job);
            }
        }
        Ok(interrupted)
    }

    /// Take the place at the end of `key`'s line: returns what to wait for (the previous
    /// job's end) and the sender to drop when this job ends.
    fn join_line(&self, key: &str) -> (Option<oneshot::Receiver<()>>, oneshot::Sender<()>) {
        let (done_tx, done_rx) = oneshot::channel();
        let mut tails = self.tails.lock().unwrap_or_else(|p| p.into_inner());
        (tails.insert(key.to_string(), done_rx), done_tx)
    }

    /// Persist a queued job, then run `work` once every earlier job with the same `key`
    /// has finished. Returns the record as queued.
    pub fn submit<F, Fut, E>(
        self: &Arc<Self>,
        action: Action,
        key: String,
        pup: Option<(String, String)>,
        work: F,
    ) -> Result<JobRecord, StoreError>
    where
        F: FnOnce(Arc<JobCtx>) -> Fut + Send + 'static,
        Fut: Future<Output = Result<Option<Value>, E>> + Send + 'static,
        E: Display + Send + 'static,
    {
        let record = JobRecord {
            id: new_id(),
            action: action.kind().to_string(),
            request: action,
            status: JobStatus::Queued,
            progress: 0,
            step: "queued".to_string(),
            message: "Job queued".to_string(),
            error: None,
            pup_id: pup.as_ref().map(|p| p.0.clone()),
            pup_name: pup.as_ref().map(|p| p.1.clone()),
            created: now_ms(),
            started: None,
            finished: None,
            result: None,
        };
        self.store.insert_job(&record)?;
        self.bus.emit(&record.id, CHANGE_JOB, "", &record);

        let guard = self.activity.job_started();
        let (previous, done) = self.join_line(&key);
        let this = self.clone();
        let queued = record.clone();
        tokio::spawn(async move {
            let _busy = guard;
            let _done = done;
            if let Some(previous) = previous {
                // Err only means the previous job's task is gone: it ended either way.
                let _ = previous.await;
            }
            let mut running = queued.clone();
            running.status = JobStatus::Running;
            running.started = Some(now_ms());
            running.message = "Job started".to_string();
            match this.store.update_job_if(&running, JobStatus::Queued) {
                Ok(true) => {}
                Ok(false) => return, // no longer queued: nothing to do
                Err(e) => {
                    tracing::error!(job = %running.id, error = %e, "cannot start job");
                    return;
                }
            }
            this.bus.emit(&running.id, CHANGE_JOB, "", &running);
            let ctx = Arc::new(JobCtx {
                store: this.store.clone(),
                bus: this.bus.clone(),
                record: Mutex::new(running),
            });
            let outcome = work(ctx.clone()).await;
            let mut done = ctx.lock().clone();
            done.finished = Some(now_ms());
            match outcome {
                Ok(result) => {
                    done.status = JobStatus::Succeeded;
                    done.progress = 100;
                    done.message = "Job completed successfully".to_string();
                    done.result = result;
                }
                Err(e) => {
                    done.status = JobStatus::Failed;
                    done.error = Some(e.to_string());
                    done.message = "Job failed".to_string();
                }
            }
            match this.store.update_job_if(&done, JobStatus::Running) {
                Ok(true) => {}
                Ok(false) => tracing::warn!(job = %done.id, "job record changed under a running job; result kept in log only"),
                Err(e) => tracing::error!(job = %done.id, error = %e, "cannot record job result"),
            }
            tracing::info!(job = %done.id, status = done.status.as_str(), error = done.error.as_deref().unwrap_or(""), "job finished");
            this.bus.emit(&done.id, CHANGE_JOB, done.error.as_deref().unwrap_or(""), &done);
        });
        Ok(record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(id: &str, status: JobStatus) -> JobRecord {
        JobRecord {
            id: id.to_string(),
            action: "stop".into(),
            request: Action::Stop { pup: "x".into() },
            status,
            progress: 0,
            step: String::new(),
            message: String::new(),
            error: None,
            pup_id: None,
            pup_name: None,
            created: now_ms(),
            started: None,
            finished: None,
            result: None,
        }
    }

    #[test]
    fn recovery_interrupts_only_live_jobs_and_a_stale_writer_loses() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(&dir.path().join("db")).unwrap());
        for (id, st) in [("a", JobStatus::Running), ("b", JobStatus::Succeeded), ("c", JobStatus::Queued), ("d", JobStatus::Failed)] {
            store.insert_job(&job(id, st)).unwrap();
        }
        let jobs = Jobs::new(store.clone(), Arc::new(Bus::new()), Arc::new(Activity::default()));
        let mut interrupted: Vec<String> = jobs.recover().unwrap().into_iter().map(|j| j.id).collect();
        interrupted.sort();
        assert_eq!(interrupted, vec!["a", "c"]);
        assert_eq!(store.job("b").unwrap().unwrap().status, JobStatus::Succeeded);
        assert_eq!(store.job("d").unwrap().unwrap().status, JobStatus::Failed);
        assert_eq!(store.job("a").unwrap().unwrap().status, JobStatus::Interrupted);
        // A second recovery finds nothing more to do.
        assert!(jobs.recover().unwrap().is_empty());

        // A writer that still believes "a" is running cannot overwrite the interruption.
        let mut stale = job("a", JobStatus::Succeeded);
        stale.progress = 100;
        assert!(!store.update_job_if(&stale, JobStatus::Running).unwrap());
        assert_eq!(store.job("a").unwrap().unwrap().status, JobStatus::Interrupted);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn jobs_for_one_key_run_in_order_and_end_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(&dir.path().join("db")).unwrap());
        let bus = Arc::new(Bus::new());
        let jobs = Arc::new(Jobs::new(store.clone(), bus.clone(), Arc::new(Activity::default())));
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut ids = Vec::new();
        for i in 0..3u64 {
            let order = order.clone();
            let rec = jobs
                .submit(Action::Stop { pup: "p".into() }, "k".into(), None, move |ctx| async move {
                    // The first job is the slowest: order must still hold.
                    tokio::time::sleep(std::time::Duration::from_millis(30 - i * 10)).await;
                    ctx.step("work", 50, "working");
                    order.lock().unwrap().push(i);
                    if i == 2 { Err("boom".to_string()) } else { Ok(None) }
                })
                .unwrap();
            // The record exists as soon as submit returns (it may already be running).
            assert_eq!(rec.status, JobStatus::Queued);
            assert!(store.job(&rec.id).unwrap().is_some());
            ids.push(rec.id);
        }
        for _ in 0..200 {
            if order.lock().unwrap().len() == 3 && store.job(&ids[2]).unwrap().unwrap().status.is_finished() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert_eq!(*order.lock().unwrap(), vec![0, 1, 2]);
        assert_eq!(store.job(&ids[0]).unwrap().unwrap().status, JobStatus::Succeeded);
        let failed = store.job(&ids[2]).unwrap().unwrap();
        assert_eq!(failed.status, JobStatus::Failed);
        assert_eq!(failed.error.as_deref(), Some("boom"));
    }
}
