//! The record in plain words: statuses, decisions, outcomes and dates as a
//! reader says them ("Partially accepted", "8 April 2022"), and the colour
//! each status's tag takes. Nothing here decides anything; it only names
//! what core decided.

use chrono::NaiveDate;
use rectrack_core::assignment::AssignmentStatus;
use rectrack_core::deadline::ResponseTiming;
use rectrack_core::occurrence::{DatePrecision, Occurrence};
use rectrack_core::public::PublicFact;
use rectrack_core::publication::PublishedText;
use rectrack_core::recommendation::LegalBasis;
use rectrack_core::response::ResponseDecision;
use rectrack_core::review::ReviewOutcome;

/// A day as people write it: `8 April 2022`.
pub fn date(day: NaiveDate) -> String {
    day.format("%-d %B %Y").to_string()
}

/// When a fact happened, in words: `8 April 2022`, or `on or before 8 April
/// 2022` where only a bound is known.
pub fn occurred(occurrence: &Occurrence) -> String {
    match occurrence.occurred_on_precision {
        DatePrecision::Exact => date(occurrence.occurred_on),
        DatePrecision::OnOrBefore => format!("on or before {}", date(occurrence.occurred_on)),
    }
}

/// A status in words.
pub fn status(status: AssignmentStatus) -> &'static str {
    match status {
        AssignmentStatus::AwaitingResponse => "Awaiting response",
        AssignmentStatus::Accepted => "Accepted",
        AssignmentStatus::PartiallyAccepted => "Partially accepted",
        AssignmentStatus::NotAccepted => "Not accepted",
        AssignmentStatus::InProgress => "In progress",
        AssignmentStatus::ImplementationClaimed => "Implementation claimed",
        AssignmentStatus::Verified => "Verified as implemented",
        AssignmentStatus::ClosedNotImplemented => "Closed, not implemented",
        AssignmentStatus::Withdrawn => "Withdrawn",
    }
}

/// The class of a status's tag (its colour; the words carry the meaning).
pub fn status_tag(status: AssignmentStatus) -> &'static str {
    match status {
        AssignmentStatus::AwaitingResponse => "tag tag-grey",
        AssignmentStatus::Accepted => "tag tag-blue",
        AssignmentStatus::PartiallyAccepted => "tag tag-purple",
        AssignmentStatus::NotAccepted => "tag tag-red",
        AssignmentStatus::InProgress => "tag tag-turquoise",
        AssignmentStatus::ImplementationClaimed => "tag tag-yellow",
        AssignmentStatus::Verified => "tag tag-green",
        AssignmentStatus::ClosedNotImplemented => "tag tag-orange",
        AssignmentStatus::Withdrawn => "tag tag-grey",
    }
}

/// A response decision in words.
pub fn decision(decision: ResponseDecision) -> &'static str {
    match decision {
        ResponseDecision::Accepted => "Accepted",
        ResponseDecision::PartiallyAccepted => "Partially accepted",
        ResponseDecision::NotAccepted => "Not accepted",
    }
}

/// A review's outcome in words.
pub fn outcome(outcome: ReviewOutcome) -> &'static str {
    match outcome {
        ReviewOutcome::Verified => "Verified as implemented",
        ReviewOutcome::Returned => "Claim returned: work to continue",
        ReviewOutcome::ClosedNotImplemented => "Closed as not implemented",
        ReviewOutcome::Comment => "Comment from the oversight body",
    }
}

/// Whether a response came in time, in words.
pub fn timing(timing: ResponseTiming) -> &'static str {
    match timing {
        ResponseTiming::OnTime => "On time",
        ResponseTiming::Late => "Late",
        ResponseTiming::Unknown => "Timing unknown",
    }
}

/// The law a recommendation was made under, in words.
pub fn legal_basis(basis: LegalBasis) -> &'static str {
    match basis {
        LegalBasis::Para28a => {
            "Paragraph 28A of Schedule 3 to the Police Reform Act 2002: a written response is due within 56 days"
        }
        LegalBasis::Learning => "A learning recommendation",
        LegalBasis::Other => "Another basis",
    }
}

/// What a published fact was, as a heading: `Response: Accepted`.
pub fn fact(fact: &PublicFact) -> String {
    match fact {
        PublicFact::Response {
            revision: 1,
            decision: d,
            ..
        } => format!("Response: {}", decision(*d)),
        PublicFact::Response { decision: d, .. } => {
            format!("Revised response: {}", decision(*d))
        }
        PublicFact::ExtensionDecided {
            granted: true,
            requested_due_on,
            ..
        } => format!(
            "More time to respond granted, to {}",
            date(*requested_due_on)
        ),
        PublicFact::ExtensionDecided {
            granted: false,
            requested_due_on,
            ..
        } => format!(
            "More time to respond (to {}) refused",
            date(*requested_due_on)
        ),
        PublicFact::Claim { .. } => "Implementation claimed".to_owned(),
        PublicFact::Review { outcome: o, .. } => format!("Review: {}", outcome(*o)),
        PublicFact::Withdrawal { .. } => "Recommendation withdrawn".to_owned(),
    }
}

/// The words of a published fact, if it has any: a response's reasons, a
/// claim's summary, a comment, a withdrawal's reason.
pub fn fact_text(fact: &PublicFact) -> Option<&str> {
    match fact {
        PublicFact::Response { text, .. } => text.text(),
        PublicFact::Claim { summary } => Some(summary),
        PublicFact::ExtensionDecided { comment, .. } | PublicFact::Review { comment, .. } => {
            comment.as_deref()
        }
        PublicFact::Withdrawal { reason } => reason.as_deref(),
    }
}

/// What a reader should know about a response's text beside it: when it
/// will be published, or that it is withheld or redacted, and why.
pub fn publication_note(text: &PublishedText) -> Option<String> {
    match text {
        PublishedText::Pending { due_on } => Some(format!(
            "The text of this response will be published by {}, unless the oversight body withholds it.",
            date(*due_on)
        )),
        PublishedText::Published { .. } => None,
        PublishedText::Redacted { reason, since, .. } => Some(format!(
            "Published on {} with parts withheld. Why: {}",
            date(*since),
            reason
        )),
        PublishedText::Withheld { reason, since } => Some(format!(
            "The oversight body withheld the text of this response on {}. Why: {}",
            date(*since),
            reason
        )),
    }
}

/// The note on a published fact, if it is a response (see
/// [`publication_note`]).
pub fn fact_note(fact: &PublicFact) -> Option<String> {
    match fact {
        PublicFact::Response { text, .. } => publication_note(text),
        _ => None,
    }
}

/// `1 recommendation`, `2 recommendations`.
pub fn count(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// A milestone's status in words.
pub fn milestone_status(status: rectrack_core::milestone::MilestoneStatus) -> &'static str {
    use rectrack_core::milestone::MilestoneStatus;
    match status {
        MilestoneStatus::Planned => "Planned",
        MilestoneStatus::InProgress => "In progress",
        MilestoneStatus::Done => "Done",
        MilestoneStatus::Dropped => "Dropped",
    }
}

/// A size in bytes as people read it: `512 bytes`, `14 KB`, `2.3 MB`.
pub fn bytes(n: u64) -> String {
    const KB: u64 = 1_000;
    const MB: u64 = 1_000_000;
    match n {
        n if n < KB => format!("{n} bytes"),
        n if n < MB => format!("{} KB", n.div_ceil(KB)),
        n => format!("{:.1} MB", n as f64 / MB as f64),
    }
}

/// An audit action in words, e.g. `progress.posted` → "Progress posted".
pub fn action(action: &str) -> String {
    let words = action.replace(['.', '_'], " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A request field's name as a form labels it: `planned_completion_on` →
/// "Planned completion date".
pub fn field(name: &str) -> String {
    let label = match name {
        "rationale" => "The reasons",
        "planned_completion_on" => "The planned completion date",
        "due_on" => "The due date",
        "title" => "The title",
        "description" => "The description",
        "url" => "The address",
        "text" => "The statement",
        "narrative" => "What happened",
        "summary" => "The summary",
        "comment" => "The comment",
        "evidence_ids" => "The evidence",
        "milestone_ids" => "The milestones",
        "decision" => "The decision",
        "outcome" => "The outcome",
        "reason" => "The reason",
        "requested_due_on" => "The date asked for",
        "status" => "The status",
        "completed_on" => "The day it was done",
        other => return action(other),
    };
    label.to_owned()
}

/// Where a person's account stands, in words.
pub fn person_state(state: rectrack_core::person::PersonState) -> &'static str {
    use rectrack_core::person::PersonState;
    match state {
        PersonState::Invited => "Invited",
        PersonState::Active => "Active",
        PersonState::Disabled => "Disabled",
    }
}

/// Where an extension request stands, in words.
pub fn extension_status(status: rectrack_core::deadline::ExtensionStatus) -> &'static str {
    use rectrack_core::deadline::ExtensionStatus;
    match status {
        ExtensionStatus::Pending => "Awaiting a decision",
        ExtensionStatus::Granted => "Granted",
        ExtensionStatus::Refused => "Refused",
    }
}

/// A person's role in words.
pub fn role(role: rectrack_core::role::Role) -> &'static str {
    use rectrack_core::role::Role;
    match role {
        Role::Overseer => "caseworker (overseer)",
        Role::Recipient => "staff (recipient)",
        Role::Observer => "observer (read only)",
    }
}

/// Every role as a form's choices: wire name and words.
pub fn roles() -> Vec<(&'static str, &'static str)> {
    rectrack_core::role::Role::ALL
        .into_iter()
        .map(|r| (r.as_str(), role(r)))
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a panic in a test is a failed test

    use super::*;

    #[test]
    fn days_are_written_as_people_write_them() {
        let day = NaiveDate::from_ymd_opt(2022, 4, 8).unwrap();
        assert_eq!(date(day), "8 April 2022");
        let bound = Occurrence {
            occurred_on: day,
            occurred_on_precision: DatePrecision::OnOrBefore,
            source: None,
        };
        assert_eq!(occurred(&bound), "on or before 8 April 2022");
    }

    #[test]
    fn every_status_has_words_and_no_wire_name_shows_through() {
        for s in AssignmentStatus::ALL {
            assert!(!status(s).contains('_'), "{s:?}");
            assert!(status_tag(s).starts_with("tag "), "{s:?}");
        }
    }

    #[test]
    fn counts_agree_with_their_noun() {
        assert_eq!(count(1, "response", "responses"), "1 response");
        assert_eq!(count(15, "response", "responses"), "15 responses");
        assert_eq!(count(0, "response", "responses"), "0 responses");
    }
}
