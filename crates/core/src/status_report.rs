//! Status reports: where every assignment stands, with totals, rates and
//! medians, overall and per organisation — as of today or any past day.
//!
//! This is the pure definition of a report. The store computes the same
//! figures with SQL aggregates for speed; its results must equal these on the
//! same data, which is why the arithmetic ([`Tally`], [`rate`], [`median`])
//! is public and shared.
//!
//! A report for a past day is rebuilt on one of two bases ([`Basis`]): from
//! what had been *recorded* by the end of that day (UTC), or from what had
//! *occurred* by then, as known now (backfilled facts included on the days
//! they happened). Either way, days and deadlines are counted from the days
//! facts occurred, and lateness that a bound (`on_or_before`) cannot prove
//! is counted as unknown, never as late.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::assignment::{Assignment, AssignmentStatus, Stamps};
use crate::deadline::{self, FlagInputs, ResponseClock};
use crate::ids::{AssignmentId, MilestoneId};
use crate::milestone::MilestoneStatus;
use crate::organisation::OrgCode;
use crate::response::ResponseDecision;
use crate::text::{Slug, Title};
use crate::time::{end_of_day, utc_micros};

/// A milestone as a report needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MilestoneState {
    /// Its id.
    pub id: MilestoneId,
    /// By when.
    pub due_on: NaiveDate,
    /// Where it stands.
    pub status: MilestoneStatus,
}

/// What a report needs to know of one assignment at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignmentSnapshot {
    /// The assignment.
    pub assignment_id: AssignmentId,
    /// Slug of the report that made the recommendation.
    pub report: Slug,
    /// The recommendation's number in its report.
    pub number: u32,
    /// The recommendation's title.
    pub title: Title,
    /// The recommendation's themes.
    pub themes: Vec<Slug>,
    /// The recipient.
    pub organisation: OrgCode,
    /// Issue day of the recommendation.
    pub issued_on: NaiveDate,
    /// Current response due day.
    pub response_due_on: NaiveDate,
    /// Current status.
    pub status: AssignmentStatus,
    /// The decision of the current response, if any.
    pub decision: Option<ResponseDecision>,
    /// Day the first response occurred.
    pub first_response_on: Option<NaiveDate>,
    /// Whether that day is known only as a bound.
    #[serde(default)]
    pub first_response_bound: bool,
    /// Day verification occurred.
    pub verified_on: Option<NaiveDate>,
    /// Whether that day is known only as a bound.
    #[serde(default)]
    pub verified_bound: bool,
    /// Day a final status was reached.
    pub closed_on: Option<NaiveDate>,
    /// Its milestones.
    pub milestones: Vec<MilestoneState>,
    /// Whether the next fact after the day of this snapshot is known only as
    /// on or before a later day, so that it may already have happened (see
    /// [`FlagInputs::uncertain`]).
    #[serde(default)]
    pub uncertain: bool,
}

/// One recorded change to an assignment, as the audit events tell it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Change {
    /// A response (first or revised) with this decision.
    Responded {
        /// The decision.
        decision: ResponseDecision,
    },
    /// Any other move to this status.
    Status {
        /// The new status.
        status: AssignmentStatus,
    },
    /// The response due day moved (a granted extension).
    DueDate {
        /// The new due day.
        due_on: NaiveDate,
    },
    /// A milestone was added or changed.
    Milestone(MilestoneState),
}

impl AssignmentSnapshot {
    /// Applies one change that occurred on day `on` (`bound`: on or before).
    pub fn apply(&mut self, change: &Change, on: NaiveDate, bound: bool) {
        match change {
            Change::Responded { decision } => {
                self.decision = Some(*decision);
                if self.first_response_on.is_none() {
                    self.first_response_on = Some(on);
                    self.first_response_bound = bound;
                }
                self.set_status(decision.status(), on, bound);
            }
            Change::Status { status } => self.set_status(*status, on, bound),
            Change::DueDate { due_on } => self.response_due_on = *due_on,
            Change::Milestone(milestone) => {
                match self.milestones.iter_mut().find(|m| m.id == milestone.id) {
                    Some(existing) => *existing = *milestone,
                    None => self.milestones.push(*milestone),
                }
            }
        }
    }

    fn set_status(&mut self, status: AssignmentStatus, on: NaiveDate, bound: bool) {
        self.status = status;
        let mut stamps = Stamps {
            verified_on: self.verified_on,
            verified_bound: self.verified_bound,
            closed_on: self.closed_on,
        };
        stamps.stamp(status, on, bound);
        self.verified_on = stamps.verified_on;
        self.verified_bound = stamps.verified_bound;
        self.closed_on = stamps.closed_on;
    }

    /// The inputs of its flags and response clock.
    pub fn flag_inputs(&self) -> FlagInputs {
        FlagInputs {
            status: self.status,
            issued_on: self.issued_on,
            response_due_on: self.response_due_on,
            first_response: self
                .first_response_on
                .map(|day| (day, self.first_response_bound)),
            closed_on: self.closed_on,
            uncertain: self.uncertain,
        }
    }
}

/// A change, the moment it was recorded, and the day it occurred.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recorded {
    /// When it was recorded (the audit event's `at`).
    #[serde(with = "utc_micros")]
    pub at: DateTime<Utc>,
    /// The day it occurred (on or before, with `bound`).
    pub occurred_on: NaiveDate,
    /// Whether `occurred_on` is only a bound.
    #[serde(default)]
    pub bound: bool,
    /// What changed.
    pub change: Change,
}

/// Which facts a report as of a past day counts.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// What rectrack had recorded by the end of the day: the record as it was
    /// known then.
    #[default]
    Recorded,
    /// What had occurred by the end of the day, as known now: backfilled
    /// facts counted on the days they happened.
    Occurred,
}

impl Basis {
    /// Both bases.
    pub const ALL: [Self; 2] = [Self::Recorded, Self::Occurred];
}

/// An assignment's whole recorded history: its state when created, and every
/// change since, in the order recorded (which is also the order in which
/// they occurred: see `crate::occurrence`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignmentTimeline {
    /// When it was created.
    #[serde(with = "utc_micros")]
    pub created_at: DateTime<Utc>,
    /// Its state when created.
    pub initial: AssignmentSnapshot,
    /// Every change since, in recording order.
    pub changes: Vec<Recorded>,
}

impl AssignmentTimeline {
    /// The assignment as it stood at the end of `day` (UTC) on `basis`:
    /// from what had been recorded by then, or from what had occurred by
    /// then; `None` if it had not been created (or issued) yet.
    pub fn as_of(&self, day: NaiveDate, basis: Basis) -> Option<AssignmentSnapshot> {
        let cutoff = end_of_day(day);
        let counted = |r: &&Recorded| match basis {
            Basis::Recorded => r.at < cutoff,
            Basis::Occurred => r.occurred_on <= day,
        };
        match basis {
            Basis::Recorded if self.created_at >= cutoff => return None,
            Basis::Occurred if self.initial.issued_on > day => return None,
            _ => {}
        }
        let mut snapshot = self.initial.clone();
        for recorded in self.changes.iter().filter(counted) {
            snapshot.apply(&recorded.change, recorded.occurred_on, recorded.bound);
        }
        // As it happened, the first fact not yet counted may have come
        // earlier than its day says, if that day is only a bound.
        snapshot.uncertain = basis == Basis::Occurred
            && self
                .changes
                .iter()
                .find(|r| r.occurred_on > day)
                .is_some_and(|r| r.bound);
        Some(snapshot)
    }
}

/// Which assignments a report covers; absent filters cover everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportFilters {
    /// Only this report's recommendations.
    pub report: Option<Slug>,
    /// Only this recipient.
    pub organisation: Option<OrgCode>,
    /// Only recommendations with this theme.
    pub theme: Option<Slug>,
}

impl ReportFilters {
    /// Whether `snapshot` is covered.
    pub fn matches(&self, snapshot: &AssignmentSnapshot) -> bool {
        self.report.as_ref().is_none_or(|r| r == &snapshot.report)
            && self
                .organisation
                .as_ref()
                .is_none_or(|o| o == &snapshot.organisation)
            && self
                .theme
                .as_ref()
                .is_none_or(|t| snapshot.themes.contains(t))
    }
}

/// The figures of a set of assignments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    /// How many assignments.
    pub assignments: u64,
    /// How many stand in each status; every status is present, even at 0.
    pub by_status: BTreeMap<AssignmentStatus, u64>,
    /// How many await a response past their due day.
    pub response_overdue: u64,
    /// How many first responses came on or before their due day.
    pub responses_on_time: u64,
    /// How many first responses came after their due day.
    pub responses_late: u64,
    /// How many are counted neither as overdue or late nor as on time,
    /// because a day known only as a bound (`on_or_before`) cannot prove
    /// either: left out of `response_overdue` and `responses_late`.
    pub response_timing_unknown: u64,
    /// Open milestones past their due day, summed over the assignments.
    pub overdue_milestones: u64,
    /// Of assignments with a response, the share accepting it fully or in
    /// part (4 decimals); null when none has a response.
    pub accepted_rate: Option<f64>,
    /// Of assignments not withdrawn, the share verified (4 decimals); null
    /// when every one is withdrawn or there are none.
    pub verified_rate: Option<f64>,
    /// Median days from issue to the first response; null when none.
    /// Responses known only as on or before a day are left out.
    pub median_days_to_response: Option<f64>,
    /// First responses left out of the median because their day is known
    /// only as a bound.
    pub days_to_response_unknown: u64,
    /// Median days from issue to verification; null when none.
    /// Verifications known only as on or before a day are left out.
    pub median_days_to_verification: Option<f64>,
    /// Verifications left out of the median because their day is known only
    /// as a bound.
    pub days_to_verification_unknown: u64,
}

/// `numerator / denominator` rounded to 4 decimals; `None` when dividing by 0.
pub fn rate(numerator: u64, denominator: u64) -> Option<f64> {
    (denominator > 0).then(|| {
        #[allow(clippy::cast_precision_loss)] // counts stay far below 2^52
        let share = numerator as f64 / denominator as f64;
        (share * 10_000.0).round() / 10_000.0
    })
}

/// The median of a histogram of whole days (day count → how many): the
/// middle value, or the mean of the middle two for an even total; `None`
/// when empty.
pub fn median(histogram: &BTreeMap<i64, u64>) -> Option<f64> {
    let total: u64 = histogram.values().sum();
    if total == 0 {
        return None;
    }
    let at = |rank: u64| {
        let mut seen = 0;
        for (days, n) in histogram {
            seen += n;
            if seen > rank {
                return *days;
            }
        }
        0
    };
    #[allow(clippy::cast_precision_loss)] // day counts are small
    let value = if total % 2 == 1 {
        at(total / 2) as f64
    } else {
        (at(total / 2 - 1) + at(total / 2)) as f64 / 2.0
    };
    Some(value)
}

/// Assignments that look alike to a report: the same status, decision and
/// lateness, and the same days to response and to verification. The store
/// counts them with `GROUP BY`; core counts one snapshot at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Group {
    /// Their status.
    pub status: AssignmentStatus,
    /// Their current decision.
    pub decision: Option<ResponseDecision>,
    /// Where they stand against their response clock.
    pub clock: ResponseClock,
    /// Days from issue to the first response (negative counts as 0); with
    /// `true` when the day is only a bound.
    pub days_to_response: Option<(i64, bool)>,
    /// Days from issue to verification (negative counts as 0); with `true`
    /// when the day is only a bound.
    pub days_to_verification: Option<(i64, bool)>,
    /// How many assignments.
    pub count: u64,
}

/// Accumulates [`Figures`]: from snapshots, or from groups counted elsewhere.
/// Days are kept as histograms, so memory grows with distinct day counts,
/// not with assignments.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    assignments: u64,
    by_status: BTreeMap<AssignmentStatus, u64>,
    clocks: BTreeMap<ResponseClock, u64>,
    overdue_milestones: u64,
    responded: u64,
    accepting: u64,
    withdrawn: u64,
    days_to_response: BTreeMap<i64, u64>,
    days_to_response_unknown: u64,
    days_to_verification: BTreeMap<i64, u64>,
    days_to_verification_unknown: u64,
}

impl Tally {
    /// Counts one assignment as it stands on `as_of`.
    pub fn add(&mut self, snapshot: &AssignmentSnapshot, as_of: NaiveDate) {
        self.add_one(
            &snapshot.flag_inputs(),
            snapshot.decision,
            snapshot
                .verified_on
                .map(|day| (day, snapshot.verified_bound)),
            snapshot.milestones.iter().map(|m| (m.due_on, m.status)),
            as_of,
        );
    }

    /// Counts one assignment as the record holds it now, with its
    /// milestones' due days and statuses, on `as_of` (today): the figures a
    /// live status report gives it.
    pub fn add_current(
        &mut self,
        assignment: &Assignment,
        milestones: impl IntoIterator<Item = (NaiveDate, MilestoneStatus)>,
        as_of: NaiveDate,
    ) {
        self.add_one(
            &assignment.flag_inputs(),
            assignment.response.as_ref().map(|r| r.content.decision),
            assignment
                .verified_on
                .map(|day| (day, assignment.verified_bound)),
            milestones,
            as_of,
        );
    }

    fn add_one(
        &mut self,
        inputs: &deadline::FlagInputs,
        decision: Option<ResponseDecision>,
        verified: Option<(NaiveDate, bool)>,
        milestones: impl IntoIterator<Item = (NaiveDate, MilestoneStatus)>,
        as_of: NaiveDate,
    ) {
        let flags = deadline::flags(inputs, milestones, as_of);
        let days_since_issue = |day: NaiveDate| (day - inputs.issued_on).num_days();
        self.add_group(&Group {
            status: inputs.status,
            decision,
            clock: inputs.response_clock(as_of),
            days_to_response: inputs
                .first_response
                .map(|(day, bound)| (days_since_issue(day), bound)),
            days_to_verification: verified.map(|(day, bound)| (days_since_issue(day), bound)),
            count: 1,
        });
        self.add_overdue_milestones(u64::from(flags.overdue_milestones));
    }

    /// Counts a group of alike assignments.
    pub fn add_group(&mut self, group: &Group) {
        let n = group.count;
        self.assignments += n;
        *self.by_status.entry(group.status).or_default() += n;
        *self.clocks.entry(group.clock).or_default() += n;
        if let Some(decision) = group.decision {
            self.responded += n;
            if decision.accepts() {
                self.accepting += n;
            }
        }
        if group.status == AssignmentStatus::Withdrawn {
            self.withdrawn += n;
        }
        if let Some((days, bound)) = group.days_to_response {
            self.add_days_to_response(days, bound, n);
        }
        if let Some((days, bound)) = group.days_to_verification {
            self.add_days_to_verification(days, bound, n);
        }
    }

    /// Counts `n` assignments whose first response came `days` after issue
    /// (on or before that, with `bound`: left out of the median).
    pub fn add_days_to_response(&mut self, days: i64, bound: bool, n: u64) {
        if bound {
            self.days_to_response_unknown += n;
        } else {
            *self.days_to_response.entry(days.max(0)).or_default() += n;
        }
    }

    /// Counts `n` assignments verified `days` after issue (on or before
    /// that, with `bound`: left out of the median).
    pub fn add_days_to_verification(&mut self, days: i64, bound: bool, n: u64) {
        if bound {
            self.days_to_verification_unknown += n;
        } else {
            *self.days_to_verification.entry(days.max(0)).or_default() += n;
        }
    }

    /// Counts overdue milestones (of open assignments).
    pub fn add_overdue_milestones(&mut self, n: u64) {
        self.overdue_milestones += n;
    }

    /// Adds another tally's counts to this one.
    pub fn merge(&mut self, other: &Tally) {
        self.assignments += other.assignments;
        for (status, n) in &other.by_status {
            *self.by_status.entry(*status).or_default() += n;
        }
        for (clock, n) in &other.clocks {
            *self.clocks.entry(*clock).or_default() += n;
        }
        self.overdue_milestones += other.overdue_milestones;
        self.days_to_response_unknown += other.days_to_response_unknown;
        self.days_to_verification_unknown += other.days_to_verification_unknown;
        self.responded += other.responded;
        self.accepting += other.accepting;
        self.withdrawn += other.withdrawn;
        for (days, n) in &other.days_to_response {
            *self.days_to_response.entry(*days).or_default() += n;
        }
        for (days, n) in &other.days_to_verification {
            *self.days_to_verification.entry(*days).or_default() += n;
        }
    }

    /// The figures counted so far.
    pub fn figures(&self) -> Figures {
        let verified = self
            .by_status
            .get(&AssignmentStatus::Verified)
            .copied()
            .unwrap_or(0);
        let clock = |clock: ResponseClock| self.clocks.get(&clock).copied().unwrap_or(0);
        Figures {
            assignments: self.assignments,
            by_status: AssignmentStatus::ALL
                .into_iter()
                .map(|status| (status, self.by_status.get(&status).copied().unwrap_or(0)))
                .collect(),
            response_overdue: clock(ResponseClock::Overdue),
            responses_on_time: clock(ResponseClock::OnTime),
            responses_late: clock(ResponseClock::Late),
            response_timing_unknown: clock(ResponseClock::MaybeOverdue)
                + clock(ResponseClock::MaybeLate),
            overdue_milestones: self.overdue_milestones,
            accepted_rate: rate(self.accepting, self.responded),
            verified_rate: rate(verified, self.assignments - self.withdrawn),
            median_days_to_response: median(&self.days_to_response),
            days_to_response_unknown: self.days_to_response_unknown,
            median_days_to_verification: median(&self.days_to_verification),
            days_to_verification_unknown: self.days_to_verification_unknown,
        }
    }
}

/// One organisation's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrganisationFigures {
    /// The recipient.
    pub organisation: OrgCode,
    /// Its figures.
    #[serde(flatten)]
    pub figures: Figures,
}

/// One recipient's status on one recommendation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipientStatus {
    /// The recipient.
    pub organisation: OrgCode,
    /// Where its assignment stands.
    pub status: AssignmentStatus,
}

/// One recommendation and where each recipient stands on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecommendationStatus {
    /// The report that made it.
    pub report: Slug,
    /// Its number in the report.
    pub number: u32,
    /// Its title.
    pub title: Title,
    /// Each covered recipient's status, by organisation code.
    pub recipients: Vec<RecipientStatus>,
}

/// A status report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusReport {
    /// The day it describes the end of.
    pub as_of: NaiveDate,
    /// Which facts it counts: those recorded, or those occurred, by then.
    #[serde(default)]
    pub basis: Basis,
    /// What it covers.
    pub filters: ReportFilters,
    /// Figures over every covered assignment.
    pub totals: Figures,
    /// The same figures per recipient, by organisation code.
    pub by_organisation: Vec<OrganisationFigures>,
    /// Every covered recommendation, by report and number.
    pub recommendations: Vec<RecommendationStatus>,
}

/// The report over `snapshots` (the assignments as they stand on `as_of`,
/// on `basis`), keeping those `filters` cover.
pub fn status_report(
    snapshots: impl IntoIterator<Item = AssignmentSnapshot>,
    filters: &ReportFilters,
    as_of: NaiveDate,
    basis: Basis,
) -> StatusReport {
    let mut totals = Tally::default();
    let mut per_organisation: BTreeMap<OrgCode, Tally> = BTreeMap::new();
    let mut recommendations: BTreeMap<(Slug, u32), RecommendationStatus> = BTreeMap::new();
    for snapshot in snapshots.into_iter().filter(|s| filters.matches(s)) {
        totals.add(&snapshot, as_of);
        per_organisation
            .entry(snapshot.organisation.clone())
            .or_default()
            .add(&snapshot, as_of);
        recommendations
            .entry((snapshot.report.clone(), snapshot.number))
            .or_insert_with(|| RecommendationStatus {
                report: snapshot.report.clone(),
                number: snapshot.number,
                title: snapshot.title.clone(),
                recipients: Vec::new(),
            })
            .recipients
            .push(RecipientStatus {
                organisation: snapshot.organisation,
                status: snapshot.status,
            });
    }
    let recommendations = recommendations
        .into_values()
        .map(|mut line| {
            line.recipients
                .sort_by(|a, b| a.organisation.cmp(&b.organisation));
            line
        })
        .collect();
    StatusReport {
        as_of,
        basis,
        filters: filters.clone(),
        totals: totals.figures(),
        by_organisation: per_organisation
            .into_iter()
            .map(|(organisation, tally)| OrganisationFigures {
                organisation,
                figures: tally.figures(),
            })
            .collect(),
        recommendations,
    }
}

/// The report as it stood at the end of `as_of` on `basis`, rebuilt from
/// each assignment's history: what was recorded (or occurred) later is not
/// counted.
pub fn status_report_as_of<'a>(
    timelines: impl IntoIterator<Item = &'a AssignmentTimeline>,
    filters: &ReportFilters,
    as_of: NaiveDate,
    basis: Basis,
) -> StatusReport {
    status_report(
        timelines.into_iter().filter_map(|t| t.as_of(as_of, basis)),
        filters,
        as_of,
        basis,
    )
}
