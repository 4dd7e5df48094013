//! Cursors and `If-Match` values come from clients: any string must be
//! refused cleanly or read back exactly, never panic.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed test

use proptest::prelude::*;
use rectrack_api::http::{cursor, page};
use rectrack_api::preconditions::if_match;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn any_cursor_is_refused_as_a_field_or_read_back_exactly(
        raw in prop_oneof![any::<String>(), "[A-Za-z0-9_-]{0,40}"],
        limit in prop_oneof![any::<Option<i64>>(), (1..=500i64).prop_map(Some)],
    ) {
        let limit_ok = limit.is_none_or(|n| (1..=500).contains(&n));
        match page("reports", limit, Some(raw.clone())) {
            Ok(request) => {
                prop_assert!(limit_ok, "limit {:?} was taken", limit);
                prop_assert_eq!(request.limit, limit.map_or(50, |n| n as u64));
                // What was read is what the cursor encodes, byte for byte;
                // an empty cursor is the first page.
                let expected = (!raw.is_empty()).then_some(raw);
                prop_assert_eq!(cursor("reports", request.after), expected);
            }
            Err(problem) => {
                prop_assert_eq!(problem.0.status, 422);
                let field = problem.0.errors.as_ref().unwrap()[0].field.clone();
                prop_assert!(
                    if limit_ok { field == "cursor" } else { field == "limit" },
                    "{} refused for {:?} / {:?}", field, raw, limit
                );
            }
        }
    }

    #[test]
    fn a_cursor_we_give_reads_back_to_its_key_on_its_list_only(key in any::<String>()) {
        let given = cursor("reports", Some(key.clone()));
        let request = page("reports", Some(10), given.clone()).unwrap();
        prop_assert_eq!(request.after, Some(key));
        prop_assert!(page("tokens", Some(10), given).is_err());
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
