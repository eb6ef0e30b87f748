#![cfg_attr(test, allow(clippy::unwrap_used))]
//! Types both the `dogebox` CLI and `dogeboxd` must agree on: pup manifests and
//! source indexes with their validation, and the `/v1` wire types.

pub mod hash;
pub mod index;
pub mod manifest;
pub mod paths;
pub mod version;
pub mod wire;
