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
    /// One lock per key (a pup id or name): jobs for the same pup run in order.
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
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
        Jobs { store, bus, activity, locks: Mutex::new(HashMap::new()) }
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

    fn lock_for(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.locks.lock().unwrap_or_else(|p| p.into_inner());
        locks.entry(key.to_string()).or_default().clone()
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
        let this = self.clone();
        let queued = record.clone();
        tokio::spawn(async move {
            let _busy = guard;
            let lock = this.lock_for(&key);
            let _turn = lock.lock().await;
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
