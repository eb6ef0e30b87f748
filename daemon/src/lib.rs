#![cfg_attr(test, allow(clippy::unwrap_used))]
//! dogeboxd: the Dogebox system manager daemon.
//!
//! One module per concern, each owning its data: `listen` (sockets, activation, idle
//! exit), `api` (routes), `jobs` (queue, records, change bus), `pups` (lifecycle),
//! `sources` (where pups come from), `runtime` (how pups run), `store` (SQLite).

pub mod api;
pub mod config;
pub mod daemon;
pub mod jobs;
pub mod listen;
pub mod offers;
pub mod pups;
pub mod runtime;
pub mod sources;
pub mod store;
