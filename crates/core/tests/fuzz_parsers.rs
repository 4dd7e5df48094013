//! Every parser that takes outside input, fed arbitrary input: none may
//! panic, and what one accepts must read back to itself.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed test

use proptest::prelude::*;
use rectrack_core::audit::canonical_json;
use rectrack_core::dataset::Dataset;
use rectrack_core::evidence::{HttpUrl, MediaType, SafeFilename, Sha256Hex};
use rectrack_core::lifecycle::Command;
use rectrack_core::organisation::OrgCode;
use rectrack_core::recommendation::RecommendationDraft;
use rectrack_core::response::ResponseDraft;
use rectrack_core::text::{LongText, Slug, Title};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn text_parsers_never_panic_and_accepted_text_reads_back(raw in any::<String>()) {
        if let Ok(slug) = Slug::parse(&raw) {
            prop_assert_eq!(Slug::parse(slug.as_str()).unwrap(), slug);
        }
        if let Ok(code) = OrgCode::parse(&raw) {
            prop_assert_eq!(OrgCode::parse(code.as_str()).unwrap(), code);
        }
        if let Ok(title) = Title::parse(&raw) {
            prop_assert_eq!(Title::parse(title.as_str()).unwrap(), title.clone());
            prop_assert!(title.as_str().chars().count() <= 200);
        }
        if let Ok(text) = LongText::parse(&raw) {
            prop_assert_eq!(LongText::parse(text.as_str()).unwrap(), text);
        }
        if let Ok(name) = SafeFilename::parse(&raw) {
            prop_assert!(!name.as_str().contains(['/', '\\']));
            prop_assert_eq!(SafeFilename::parse(name.as_str()).unwrap(), name);
        }
        if let Ok(media) = MediaType::parse(&raw) {
            prop_assert_eq!(MediaType::parse(media.as_str()).unwrap(), media);
        }
        if let Ok(hash) = Sha256Hex::parse(&raw) {
            prop_assert_eq!(hash.as_str().len(), 64);
        }
        let _ = Command::parse(&raw);
        let _ = Dataset::from_json(&raw);
    }

    #[test]
    fn urls_accepted_are_http_and_stable(raw in "(https?|javascript|file|data|ftp)?:?/{0,3}[ -~]{0,60}") {
        if let Ok(url) = HttpUrl::parse(&raw) {
            prop_assert!(url.as_str().starts_with("http://") || url.as_str().starts_with("https://"));
            prop_assert_eq!(HttpUrl::parse(url.as_str()).unwrap(), url);
        }
    }

    #[test]
    fn json_bodies_into_domain_drafts_never_panic(body in any::<String>(), number in any::<i64>(), day in "[0-9]{4}-[0-9]{2}-[0-9]{2}") {
        let _ = serde_json::from_str::<RecommendationDraft>(&body);
        let _ = serde_json::from_str::<ResponseDraft>(&body);
        let draft = serde_json::json!({
            "number": number, "title": body, "body": body, "themes": [body], "recipients": [body], "issued_on": day,
        });
        if let Ok(draft) = serde_json::from_value::<RecommendationDraft>(draft) {
            let _ = draft.parse();
        }
    }

    #[test]
    fn canonical_json_reads_back_to_the_same_value(value in json()) {
        let text = canonical_json(&value);
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(canonical_json(&parsed), text);
        prop_assert_eq!(parsed, value);
    }
}

fn json() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<String>().prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(3, 32, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(serde_json::Value::from),
            prop::collection::btree_map(any::<String>(), inner, 0..5)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}
