//! Schema migrations, tracked with SQLite's `user_version`.

use rusqlite_migration::{M, Migrations};

pub fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(
        "CREATE TABLE sources (
            id TEXT PRIMARY KEY,
            location TEXT NOT NULL UNIQUE,
            record TEXT NOT NULL
        );
        CREATE TABLE pups (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            source_id TEXT NOT NULL,
            record TEXT NOT NULL
        );
        CREATE INDEX pups_by_name ON pups(name);
        CREATE TABLE jobs (
            id TEXT PRIMARY KEY,
            status TEXT NOT NULL,
            created INTEGER NOT NULL,
            record TEXT NOT NULL
        );
        CREATE INDEX jobs_by_status ON jobs(status);
        CREATE TABLE meta (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );",
        ),
        // The last good listing of each git source (a refresh that fails keeps it).
        M::up(
            "CREATE TABLE listings (
                source_id TEXT PRIMARY KEY REFERENCES sources(id) ON DELETE CASCADE,
                record TEXT NOT NULL
            );",
        ),
    ])
}

#[cfg(test)]
mod tests {
    #[test]
    fn migrations_are_valid() {
        super::migrations().validate().expect("migrations validate");
    }
}
