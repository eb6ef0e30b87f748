//! dogeboxd: the Dogebox system manager daemon.
//!
//! One module per concern, each owning its data: `runtime` (how pups run).

pub mod runtime;
