//! The Operation Hotton data set, and how a data set is validated.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed test

use chrono::Days;
use rectrack_core::dataset::Dataset;
use rectrack_core::organisation::OrganisationKind;
use rectrack_core::recommendation::LegalBasis;

#[test]
fn operation_hotton_has_15_recommendations_to_the_mps_due_56_days_after_issue() {
    let dataset = Dataset::operation_hotton().expect("the shipped data set is valid");
    let codes: Vec<(&str, OrganisationKind)> = dataset
        .organisations
        .iter()
        .map(|o| (o.code.as_str(), o.kind))
        .collect();
    assert_eq!(
        codes,
        [
            ("iopc", OrganisationKind::OversightBody),
            ("mps", OrganisationKind::PoliceForce)
        ]
    );
    assert_eq!(dataset.reports.len(), 1);
    let hotton = &dataset.reports[0];
    assert_eq!(hotton.report.slug.as_str(), "operation-hotton");
    assert_eq!(hotton.report.issued_by.as_str(), "iopc");
    assert_eq!(hotton.report.published_on.to_string(), "2022-02-01");
    assert!(
        hotton
            .report
            .url
            .as_ref()
            .is_some_and(|u| u.as_str().starts_with("https://www.policeconduct.gov.uk/"))
    );
    assert!(
        hotton
            .report
            .summary
            .as_ref()
            .is_some_and(|s| s.as_str().contains("summaries"))
    );

    let numbers: Vec<u32> = hotton.recommendations.iter().map(|r| r.number).collect();
    assert_eq!(numbers, (1..=15).collect::<Vec<u32>>());
    for recommendation in &hotton.recommendations {
        let recipients: Vec<&str> = recommendation
            .recipients
            .iter()
            .map(|r| r.as_str())
            .collect();
        assert_eq!(
            recipients,
            ["mps"],
            "recommendation {}",
            recommendation.number
        );
        assert_eq!(recommendation.legal_basis, LegalBasis::Para28a);
        assert_eq!(
            recommendation.response_due_on,
            recommendation.issued_on + Days::new(56),
            "recommendation {}",
            recommendation.number
        );
        assert!(
            !recommendation.themes.is_empty(),
            "recommendation {} has no theme",
            recommendation.number
        );
    }
}

#[test]
fn the_known_recommendations_are_in_the_data_set() {
    let dataset = Dataset::operation_hotton().unwrap();
    let titles: Vec<String> = dataset.reports[0]
        .recommendations
        .iter()
        .map(|r| r.title.as_str().to_lowercase())
        .collect();
    for phrase in ["anti-racist", "zero tolerance", "not widespread"] {
        assert!(
            titles.iter().any(|t| t.contains(phrase)),
            "no recommendation on {phrase}"
        );
    }
}

#[test]
fn a_broken_data_set_names_every_problem_by_its_path() {
    let json = r#"{
        "organisations": [
            {"code": "iopc", "name": "Independent Office for Police Conduct", "kind": "oversight_body"},
            {"code": "mps", "name": "Metropolitan Police Service", "kind": "police_force"},
            {"code": "mps", "name": "Duplicate", "kind": "police_force"}
        ],
        "reports": [{
            "slug": "r1", "title": "A report", "issued_by": "mps", "published_on": "2022-02-01",
            "recommendations": [
                {"number": 1, "title": "One", "body": "Text", "recipients": ["mps"], "issued_on": "2022-02-01"},
                {"number": 1, "title": "", "body": "Text", "recipients": ["nobody"], "issued_on": "2022-02-01"},
                {"number": 2, "title": "Two", "body": "Text", "recipients": ["iopc"], "issued_on": "2022-02-01"}
            ]
        }]
    }"#;
    let errors = Dataset::from_json(json).unwrap_err();
    let fields: Vec<&str> = errors.errors().iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "organisations[2].code",
            "reports[0].issued_by",
            "reports[0].recommendations[1].title",
            "reports[0].recommendations[2].recipients",
        ]
    );
}

#[test]
fn a_data_set_that_is_not_json_is_refused_with_a_message() {
    let errors = Dataset::from_json("{not json").unwrap_err();
    assert!(errors.errors()[0].message.contains("not a valid data set"));
}
