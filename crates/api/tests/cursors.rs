//! Cursors and `If-Match` values come from clients: any string must be
//! refused cleanly or read back exactly, never panic.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed test

use proptest::prelude::*;
use rectrack_api::http::{cursor, page};
use rectrack_api::preconditions::if_match;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn any_cursor_is_refused_or_read(raw in any::<String>(), limit in any::<Option<i64>>()) {
        let _ = page(limit, Some(raw));
    }

    #[test]
    fn a_cursor_we_give_reads_back_to_its_key(key in any::<String>()) {
        let request = page(Some(10), cursor(Some(key.clone()))).unwrap();
        prop_assert_eq!(request.after, Some(key));
    }

    #[test]
    fn any_if_match_is_refused_or_names_a_version(raw in any::<String>()) {
        match if_match(Some(&raw), true) {
            Ok(Some(version)) => prop_assert_eq!(raw.trim().trim_matches('"').parse::<i64>().unwrap(), version),
            Ok(None) => prop_assert_eq!(raw.trim(), "*"),
            // 412 for a well-formed tag naming no version, 400 for anything else.
            Err(problem) => {
                let well_formed = regex::Regex::new(rectrack_api::preconditions::IF_MATCH_PATTERN)
                    .unwrap()
                    .is_match(raw.trim());
                prop_assert_eq!(problem.0.status, if well_formed { 412 } else { 400 });
            }
        }
    }
}
