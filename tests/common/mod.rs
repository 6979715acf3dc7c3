//! What the integration tests, the benches and the fuzz targets share, one file per concern:
//! cases and outcomes ([`case`]), both hosts ([`hosts`]), differential runs ([`compare`]),
//! descriptor counts ([`fds`]), loopback peers ([`peers`]), op programs ([`ops`]) and the
//! benches' comparison of the two hosts ([`bench`]).
#![allow(dead_code, unused_imports)]

pub mod bench;
pub mod case;
pub mod compare;
pub mod fds;
pub mod hosts;
pub mod ops;
pub mod peers;
pub mod ports;

pub use case::*;
pub use compare::*;
pub use fds::*;
pub use hosts::*;
