//! Input that looks valid and is not: days outside the years rectrack
//! records, text that hides what it shows, and CSV cells a spreadsheet
//! would run as formulas.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed test

use chrono::NaiveDate;
use rectrack_core::recommendation::RecommendationDraft;
use rectrack_core::status_render::csv_field;
use rectrack_core::text::{LongText, Title};
use rectrack_core::time::{LAST_DAY, check_day};

fn day(raw: &str) -> NaiveDate {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d").unwrap()
}

fn recommendation(issued_on: &str) -> RecommendationDraft {
    RecommendationDraft {
        number: 1,
        title: "Publish a plan".into(),
        body: "Publish a plan.".into(),
        themes: vec![],
        recipients: vec!["mps".into()],
        issued_on: day(issued_on),
        response_due_on: None,
        legal_basis: None,
    }
}

/// Point 5: a day, and every day derived from it, stays within 1900–2999.
#[test]
fn days_and_the_days_derived_from_them_stay_within_the_years_recorded() {
    for far in ["9999-12-31", "0000-01-01", "1899-12-31", "3000-01-01"] {
        let refused = recommendation(far).parse().unwrap_err();
        assert_eq!(refused.errors()[0].field, "issued_on", "{far}");
    }
    // Its response would be due after the last day.
    let late = recommendation("2999-12-01").parse().unwrap_err();
    assert!(late.errors()[0].message.contains("too late"), "{late:?}");
    let content = recommendation("2999-11-01").parse().unwrap();
    assert!(content.response_due_on <= LAST_DAY);
    assert!(check_day(day("1900-01-01")).is_ok());
    assert!(check_day(day("2999-12-31")).is_ok());
    assert!(check_day(day("3000-01-01")).is_err());
}

/// Point 6: text is what it shows.
#[test]
fn text_refuses_what_changes_how_it_shows_without_being_seen() {
    for hidden in [
        '\u{202E}', '\u{200B}', '\u{2066}', '\u{FEFF}', '\u{200E}', '\u{00AD}',
    ] {
        let text = format!("Vetting{hidden}txt.exe");
        let title = Title::parse(&text).unwrap_err();
        assert!(
            title.contains(&format!("U+{:04X}", u32::from(hidden))),
            "{title}"
        );
        assert!(LongText::parse(&text).is_err(), "{hidden:?}");
    }
    // What a person types stays: line breaks and tabs in long text, the
    // joiners that scripts and emoji need.
    assert!(LongText::parse("First line\n\tSecond line").is_ok());
    assert!(Title::parse("می\u{200C}خواهم").is_ok());
    assert!(Title::parse("👩\u{200D}⚖️ review").is_ok());
    assert!(Title::parse("Two\nlines").is_err());
}

/// Point 7: read back by a spreadsheet-style reader, no cell begins with
/// a character that would make it a formula, and numbers stay numbers.
#[test]
fn csv_cells_never_read_as_formulas() {
    let cells = [
        "-2-3",
        "=HYPERLINK(\"x\")",
        "+1+1",
        "@SUM(A1)",
        "\tx",
        "\rx",
        "mps",
        "12",
        "-4",
        "a,b",
    ];
    let line: Vec<String> = cells.iter().map(|c| csv_field(c)).collect();
    let text = format!("{}\r\n", line.join(","));
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes());
    let record = reader.records().next().unwrap().unwrap();
    let read: Vec<&str> = record.iter().collect();
    assert_eq!(read.len(), cells.len());
    for (cell, raw) in read.iter().zip(cells) {
        let number = raw.parse::<f64>().is_ok();
        if number {
            assert_eq!(*cell, raw);
        } else {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{cell:?} would be a formula"
            );
            assert_eq!(cell.trim_start_matches('\''), raw, "{cell:?}");
        }
    }
}
