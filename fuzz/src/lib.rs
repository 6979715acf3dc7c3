//! What the op-program fuzz targets share: the differential harness of the integration tests
//! (`tests/common`, included by path), compiled once here rather than once per target.
#![forbid(unsafe_code)]

#[allow(dead_code, unused_imports, missing_docs)]
#[path = "../../tests/common/mod.rs"]
pub mod common;
