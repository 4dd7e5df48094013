//! Every parser that takes outside input, tested from its grammar: values
//! generated from the grammar are accepted and read back to themselves;
//! values just outside it (one character too many or too few, one character
//! not allowed) are refused; and arbitrary input never panics.
//!
//! The grammars are written here from DESIGN.md, not taken from the code.

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

/// A slug or organisation code: 2 to 64 of `a-z`, `0-9` and `-`.
const SLUG: &str = "[a-z0-9-]{2,64}";
/// A character no slug may hold.
const NOT_SLUG_CHAR: &str = "[A-Z_ ./:é]";
/// A SHA-256 digest: 64 lower-case hexadecimal characters.
const SHA256: &str = "[0-9a-f]{64}";
/// One part of a media type: 1 to 20 of the characters RFC 6838 allows.
const MEDIA_PART: &str = "[a-zA-Z0-9][a-zA-Z0-9!#$&^_.+-]{0,19}";
/// A title: one line of 1 to 200 characters that are not spaces at its ends.
const TITLE: &str = "[A-Za-z0-9][A-Za-z0-9 ,.'()-]{0,198}[A-Za-z0-9.)]";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn every_slug_and_code_of_the_grammar_is_accepted_and_reads_back(raw in SLUG) {
        let slug = Slug::parse(&raw).unwrap();
        prop_assert_eq!(slug.as_str(), raw.as_str());
        prop_assert_eq!(Slug::parse(slug.as_str()).unwrap(), slug);
        let code = OrgCode::parse(&raw).unwrap();
        prop_assert_eq!(code.as_str(), raw.as_str());
        let json = serde_json::to_string(&code).unwrap();
        prop_assert_eq!(serde_json::from_str::<OrgCode>(&json).unwrap(), code);
    }

    #[test]
    fn a_slug_one_character_off_its_grammar_is_refused(
        raw in SLUG,
        bad in NOT_SLUG_CHAR,
        at in any::<prop::sample::Index>(),
    ) {
        let mut chars: Vec<char> = raw.chars().collect();
        let at = at.index(chars.len());
        chars[at] = bad.chars().next().unwrap();
        let spoilt: String = chars.into_iter().collect();
        prop_assert!(Slug::parse(&spoilt).is_err(), "{:?}", spoilt);
        prop_assert!(OrgCode::parse(&spoilt).is_err(), "{:?}", spoilt);
    }

    #[test]
    fn a_slug_of_one_or_sixty_five_characters_is_refused(c in "[a-z0-9-]", long in "[a-z0-9-]{65}") {
        prop_assert!(Slug::parse(&c).is_err());
        prop_assert!(Slug::parse(&long).is_err());
        prop_assert!(OrgCode::parse(&long).is_err());
    }

    #[test]
    fn every_digest_of_the_grammar_is_accepted_and_one_off_is_refused(
        raw in SHA256,
        bad in "[A-Fg-z]",
        at in 0..64usize,
    ) {
        let hash = Sha256Hex::parse(&raw).unwrap();
        prop_assert_eq!(hash.as_str(), raw.as_str());
        prop_assert!(Sha256Hex::parse(&raw[..63]).is_err(), "63 characters");
        let long = format!("{raw}0");
        prop_assert!(Sha256Hex::parse(&long).is_err(), "65 characters");
        let spoilt = format!("{}{bad}{}", &raw[..at], &raw[at + 1..]);
        prop_assert!(Sha256Hex::parse(&spoilt).is_err(), "{:?}", spoilt);
    }

    #[test]
    fn every_media_type_of_the_grammar_is_accepted_in_lower_case(
        kind in MEDIA_PART,
        sub in MEDIA_PART,
        parameter in proptest::option::of("; ?charset=[a-z0-9-]{1,10}"),
    ) {
        let raw = format!("{kind}/{sub}{}", parameter.unwrap_or_default());
        let media = MediaType::parse(&raw).unwrap();
        prop_assert_eq!(media.as_str(), format!("{kind}/{sub}").to_ascii_lowercase());
        prop_assert_eq!(MediaType::parse(media.as_str()).unwrap(), media);
    }

    #[test]
    fn a_media_type_without_its_slash_or_with_a_space_is_refused(kind in MEDIA_PART, sub in MEDIA_PART) {
        for spoilt in [format!("{kind}{sub}"), format!("{kind}/ {sub}x"), format!("{kind}/")] {
            prop_assert!(MediaType::parse(&spoilt).is_err(), "{:?}", spoilt);
        }
    }

    #[test]
    fn every_title_of_the_grammar_is_accepted_and_reads_back(raw in TITLE, pad in " {0,3}") {
        let title = Title::parse(&format!("{pad}{raw}{pad}")).unwrap();
        prop_assert_eq!(title.as_str(), raw.as_str(), "trimmed");
        prop_assert_eq!(Title::parse(title.as_str()).unwrap(), title);
    }

    #[test]
    fn a_title_over_200_characters_or_with_a_line_break_is_refused(
        raw in "[a-z]{201,240}",
        head in "[a-z]{1,20}",
        tail in "[a-z]{1,20}",
        control in "[\n\r\t\u{0}\u{7}]",
    ) {
        prop_assert!(Title::parse(&raw).is_err());
        let broken = format!("{head}{control}{tail}");
        prop_assert!(Title::parse(&broken).is_err(), "{:?}", broken);
    }

    #[test]
    fn long_text_keeps_line_breaks_and_refuses_other_controls(
        lines in prop::collection::vec("[a-z ]{0,30}[a-z]", 1..6),
        control in "[\u{0}\u{7}\u{1b}]",
    ) {
        let raw = lines.join("\n");
        let text = LongText::parse(&raw).unwrap();
        prop_assert_eq!(text.as_str(), raw.trim());
        let spoilt = format!("{raw}{control}x");
        prop_assert!(LongText::parse(&spoilt).is_err(), "{:?}", spoilt);
    }

    #[test]
    fn a_filename_is_kept_without_any_path(
        dirs in prop::collection::vec("[a-z.]{1,8}", 0..4),
        name in "[a-z0-9][a-z0-9 _-]{0,30}\\.(pdf|docx|png|csv)",
    ) {
        let raw = dirs.iter().map(|d| format!("{d}/")).collect::<String>() + &name;
        if let Ok(kept) = SafeFilename::parse(&raw) {
            prop_assert!(!kept.as_str().contains(['/', '\\']));
            prop_assert_eq!(SafeFilename::parse(kept.as_str()).unwrap(), kept);
        } else {
            prop_assert!(!dirs.is_empty(), "a plain name {:?} was refused", name);
        }
    }

    #[test]
    fn http_urls_are_accepted_and_other_schemes_refused(
        // A hostname label never holds two hyphens together: `xn--` starts a
        // punycode label, which must then decode.
        host in "[a-z]([a-z0-9]|-[a-z0-9]){0,10}(\\.[a-z]{2,6}){1,2}",
        path in "(/[a-zA-Z0-9._~-]{0,12}){0,4}",
        scheme in "(javascript|file|data|ftp|mailto)",
    ) {
        for secure in ["http", "https"] {
            let raw = format!("{secure}://{host}{path}");
            let url = HttpUrl::parse(&raw).unwrap();
            let prefix = format!("{secure}://");
            prop_assert!(url.as_str().starts_with(&prefix), "{}", url.as_str());
            prop_assert_eq!(HttpUrl::parse(url.as_str()).unwrap(), url);
        }
        for other in [format!("{scheme}://{host}{path}"), format!("{scheme}:{host}")] {
            prop_assert!(HttpUrl::parse(&other).is_err(), "{:?}", other);
        }
    }

    #[test]
    fn canonical_json_reads_back_to_the_same_value(value in json()) {
        let text = canonical_json(&value);
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(canonical_json(&parsed), text);
        prop_assert_eq!(parsed, value);
    }

    #[test]
    fn recommendation_drafts_from_json_are_parsed_or_refused_field_by_field(
        number in any::<i64>(),
        title in prop_oneof![Just(String::new()), TITLE.prop_map(String::from), "[a-z]{201,210}"],
        recipients in prop::collection::vec(prop_oneof![SLUG.prop_map(String::from), Just("Not A Code".to_owned())], 0..3),
        day in "20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])",
    ) {
        let body = serde_json::json!({
            "number": number, "title": title, "body": "The text.", "themes": ["culture"],
            "recipients": recipients, "issued_on": day,
        });
        let draft: RecommendationDraft = serde_json::from_value(body).unwrap();
        let title_ok = Title::parse(&title).is_ok();
        let recipients_ok = !recipients.is_empty() && recipients.iter().all(|r| OrgCode::parse(r).is_ok());
        let number_ok = number >= 1 && u32::try_from(number).is_ok();
        match draft.parse() {
            Ok(content) => {
                prop_assert!(title_ok && recipients_ok && number_ok);
                prop_assert_eq!(i64::from(content.number), number);
                prop_assert_eq!(content.title.as_str(), title.trim());
            }
            Err(errors) => {
                let fields: Vec<&str> = errors.errors().iter().map(|e| e.field.as_str()).collect();
                prop_assert_eq!(fields.contains(&"title"), !title_ok, "{:?}", fields);
                prop_assert_eq!(fields.contains(&"number"), !number_ok, "{:?}", fields);
                prop_assert!(!(title_ok && recipients_ok && number_ok), "{:?}", fields);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Arbitrary strings and arbitrary JSON: no parser may panic.
    #[test]
    fn no_parser_panics_on_arbitrary_input(raw in any::<String>(), value in json()) {
        let _ = Slug::parse(&raw);
        let _ = OrgCode::parse(&raw);
        let _ = Title::parse(&raw);
        let _ = LongText::parse(&raw);
        let _ = SafeFilename::parse(&raw);
        let _ = MediaType::parse(&raw);
        let _ = Sha256Hex::parse(&raw);
        let _ = HttpUrl::parse(&raw);
        let _ = Command::parse(&raw);
        let _ = Dataset::from_json(&raw);
        let text = value.to_string();
        let _ = Dataset::from_json(&text);
        if let Ok(draft) = serde_json::from_value::<RecommendationDraft>(value.clone()) {
            let _ = draft.parse();
        }
        let _ = serde_json::from_value::<ResponseDraft>(value);
    }
}

/// Arbitrary JSON values, nested up to three deep.
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
