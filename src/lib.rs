//! rectrack tracks how organisations implement the recommendations an
//! oversight body makes to them.
//!
//! This facade re-exports the layers so that one dependency gives them all;
//! today that is the domain core.

#![forbid(unsafe_code)]

pub use rectrack_core as core;
