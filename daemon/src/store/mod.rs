//! Persistence: one SQLite database in WAL mode for sources, pups and jobs.
//!
//! Every state change is one statement or one transaction; job status changes are
//! compare-and-set so a stale writer can never overwrite a newer state (a finished job
//! can never become "interrupted").

mod schema;

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use dogebox_shared::wire::{JobRecord, JobStatus, SourceView};
use rusqlite::{Connection, OptionalExtension, params};

use crate::pups::record::PupRecord;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("{0}")]
    Duplicate(String),
    #[error("database migration: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    #[error("stored record {what} is corrupt: {source}")]
    Corrupt {
        what: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("cannot encode {what}: {source}")]
    Encode {
        what: String,
        #[source]
        source: serde_json::Error,
    },
}

pub struct Store {
    conn: Mutex<Connection>,
}

fn encode<T: serde::Serialize>(what: &str, v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|source| StoreError::Encode { what: what.to_string(), source })
}

fn decode<T: serde::de::DeserializeOwned>(what: &str, s: &str) -> Result<T, StoreError> {
    serde_json::from_str(s).map_err(|source| StoreError::Corrupt { what: what.to_string(), source })
}

/// Run a query whose rows are `(id, record JSON)` and decode every record.
fn records<T: serde::de::DeserializeOwned>(
    conn: &Connection,
    what: &str,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<T>, StoreError> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map(params, |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    rows.map(|row| {
        let (id, rec) = row?;
        decode(&format!("{what} {id}"), &rec)
    })
    .collect()
}

impl Store {
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        schema::migrations().to_latest(&mut conn)?;
        Ok(Store { conn: Mutex::new(conn) })
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite itself consistent (every write
        // is a statement or a transaction), so a poisoned lock is still usable.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    // ----- sources -----

    pub fn insert_source(&self, s: &SourceView) -> Result<(), StoreError> {
        let r = self.conn().execute(
            "INSERT INTO sources (id, location, record) VALUES (?1, ?2, ?3)",
            params![s.id, s.location, encode("source", s)?],
        );
        match r {
            Ok(_) => Ok(()),
            // Two adds checked at once and one got in first.
            Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::ConstraintViolation => {
                Err(StoreError::Duplicate(format!("a source with id {} or location {} already exists", s.id, s.location)))
            }
            Err(e) => Err(e.into()),
        }
    }

    pub fn delete_source(&self, id: &str) -> Result<bool, StoreError> {
        Ok(self.conn().execute("DELETE FROM sources WHERE id = ?1", params![id])? > 0)
    }

    pub fn sources(&self) -> Result<Vec<SourceView>, StoreError> {
        records(&self.conn(), "source", "SELECT id, record FROM sources ORDER BY rowid", [])
    }

    /// The cached listing of a source, as JSON (its shape belongs to `sources`).
    pub fn listing(&self, source_id: &str) -> Result<Option<serde_json::Value>, StoreError> {
        let rec: Option<String> = self
            .conn()
            .query_row("SELECT record FROM listings WHERE source_id = ?1", params![source_id], |r| r.get(0))
            .optional()?;
        rec.map(|r| decode(&format!("listing of {source_id}"), &r)).transpose()
    }

    pub fn put_listing(&self, source_id: &str, listing: &serde_json::Value) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO listings (source_id, record) VALUES (?1, ?2)
             ON CONFLICT(source_id) DO UPDATE SET record = excluded.record",
            params![source_id, encode("listing", listing)?],
        )?;
        Ok(())
    }

    // ----- pups -----

    /// Insert or replace a pup's whole record.
    pub fn put_pup(&self, p: &PupRecord) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO pups (id, name, source_id, record) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(id) DO UPDATE SET name = excluded.name, source_id = excluded.source_id,
             record = excluded.record",
            params![p.id, p.name, p.source.id, encode("pup", p)?],
        )?;
        Ok(())
    }

    pub fn delete_pup(&self, id: &str) -> Result<(), StoreError> {
        self.conn().execute("DELETE FROM pups WHERE id = ?1", params![id])?;
        Ok(())
    }

    pub fn pup(&self, id: &str) -> Result<Option<PupRecord>, StoreError> {
        let rec: Option<String> = self
            .conn()
            .query_row("SELECT record FROM pups WHERE id = ?1", params![id], |r| r.get(0))
            .optional()?;
        rec.map(|r| decode(&format!("pup {id}"), &r)).transpose()
    }

    pub fn pups(&self) -> Result<Vec<PupRecord>, StoreError> {
        records(&self.conn(), "pup", "SELECT id, record FROM pups ORDER BY rowid", [])
    }

    // ----- jobs -----

    pub fn insert_job(&self, j: &JobRecord) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO jobs (id, status, created, record) VALUES (?1, ?2, ?3, ?4)",
            params![j.id, j.status.as_str(), j.created, encode("job", j)?],
        )?;
        Ok(())
    }

    /// Write `j` only if the stored status is still `expected`. Returns whether it was written.
    pub fn update_job_if(&self, j: &JobRecord, expected: JobStatus) -> Result<bool, StoreError> {
        let n = self.conn().execute(
            "UPDATE jobs SET status = ?2, record = ?3 WHERE id = ?1 AND status = ?4",
            params![j.id, j.status.as_str(), encode("job", j)?, expected.as_str()],
        )?;
        Ok(n == 1)
    }

    pub fn job(&self, id: &str) -> Result<Option<JobRecord>, StoreError> {
        let rec: Option<String> = self
            .conn()
            .query_row("SELECT record FROM jobs WHERE id = ?1", params![id], |r| r.get(0))
            .optional()?;
        rec.map(|r| decode(&format!("job {id}"), &r)).transpose()
    }

    /// Newest first.
    pub fn jobs(&self, limit: usize) -> Result<Vec<JobRecord>, StoreError> {
        records(
            &self.conn(),
            "job",
            "SELECT id, record FROM jobs ORDER BY created DESC, rowid DESC LIMIT ?1",
            params![limit as i64],
        )
    }

    /// Jobs that were queued or running: after a restart these are the interrupted ones.
    pub fn live_jobs(&self) -> Result<Vec<JobRecord>, StoreError> {
        records(
            &self.conn(),
            "job",
            "SELECT id, record FROM jobs WHERE status IN ('queued', 'running') ORDER BY created",
            [],
        )
    }

    // ----- meta -----

    pub fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn()
            .query_row("SELECT value FROM meta WHERE key = ?1", params![key], |r| r.get(0))
            .optional()?)
    }

    pub fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }
}
