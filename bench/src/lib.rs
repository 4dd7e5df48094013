//! Yardsticks for `bench/http`, in one binary (`yardstick`) so that the
//! benchmark builds them once: `ceiling` (a bare poem handler answering a
//! fixed JSON body the size of an assignment — the most the framework can
//! give) and `raw-insert` (single-row INSERT + commit in a loop, on the same
//! database and durability settings as rectrack).

#![forbid(unsafe_code)]

pub mod ceiling;
pub mod raw_insert;
