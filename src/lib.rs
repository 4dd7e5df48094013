//! rectrack tracks how organisations implement the recommendations an
//! oversight body makes to them.
//!
//! This facade re-exports the layers so that one dependency gives them all:
//! the [`domain`], the persistence [`store`] and the REST [`api`].

#![forbid(unsafe_code)]

pub use rectrack_api as api;
pub use rectrack_core as domain;
pub use rectrack_store as store;
