//! Milestones a recipient plans on its way to implementing a recommendation.
//!
//! A milestone is `planned`, then `in_progress`, then `done`; it may be
//! `dropped` while open. `done` and `dropped` are final for the milestone.
//! Starting or finishing one is what moves an accepted assignment to
//! `in_progress` — the lifecycle decides that, from the [`Command`] returned here.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Refusal};
use crate::ids::{AssignmentId, MilestoneId};
use crate::lifecycle::Command;
use crate::text::Title;
use crate::validation::ValidationErrors;

/// Where a milestone stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MilestoneStatus {
    /// Not started.
    Planned,
    /// Started.
    InProgress,
    /// Finished; `completed_on` says when.
    Done,
    /// Given up.
    Dropped,
}

impl MilestoneStatus {
    /// Every status, in declaration order.
    pub const ALL: [Self; 4] = [Self::Planned, Self::InProgress, Self::Done, Self::Dropped];

    /// True while the milestone is neither done nor dropped.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Planned | Self::InProgress)
    }

    /// The wire name, e.g. `in_progress`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Planned => "planned",
            Self::InProgress => "in_progress",
            Self::Done => "done",
            Self::Dropped => "dropped",
        }
    }
}

/// A milestone as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Milestone {
    /// Its id.
    pub id: MilestoneId,
    /// The assignment it belongs to.
    pub assignment_id: AssignmentId,
    /// What is to be done.
    pub title: Title,
    /// By when.
    pub due_on: NaiveDate,
    /// Where it stands.
    pub status: MilestoneStatus,
    /// The day it was done (only when `done`).
    pub completed_on: Option<NaiveDate>,
}

/// A new milestone as a client sends it, not yet validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MilestoneDraft {
    /// What is to be done.
    pub title: String,
    /// By when.
    pub due_on: NaiveDate,
}

/// The validated content of a new milestone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MilestonePlan {
    /// What is to be done.
    pub title: Title,
    /// By when.
    pub due_on: NaiveDate,
}

impl MilestoneDraft {
    /// Validates the title and that the milestone is not due before the
    /// recommendation was issued.
    pub fn parse(&self, issued_on: NaiveDate) -> Result<MilestonePlan, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let title = errors.check("title", Title::parse(&self.title));
        errors.check("due_on", check_due_on(self.due_on, issued_on));
        match title {
            Some(title) if errors.is_empty() => Ok(MilestonePlan {
                title,
                due_on: self.due_on,
            }),
            _ => Err(errors),
        }
    }
}

impl MilestonePlan {
    /// The milestone this plan makes, `planned`.
    pub fn into_milestone(self, id: MilestoneId, assignment_id: AssignmentId) -> Milestone {
        Milestone {
            id,
            assignment_id,
            title: self.title,
            due_on: self.due_on,
            status: MilestoneStatus::Planned,
            completed_on: None,
        }
    }
}

fn check_due_on(due_on: NaiveDate, issued_on: NaiveDate) -> Result<(), String> {
    crate::time::check_day(due_on)?;
    if due_on < issued_on {
        Err(format!(
            "must not be before the recommendation was issued ({issued_on})"
        ))
    } else {
        Ok(())
    }
}

/// A change to a milestone as a client sends it (a PATCH): any of the fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MilestoneChange {
    /// A new title.
    #[serde(default)]
    pub title: Option<String>,
    /// A new due day.
    #[serde(default)]
    pub due_on: Option<NaiveDate>,
    /// A new status.
    #[serde(default)]
    pub status: Option<MilestoneStatus>,
    /// The day it was done; only with `status: done`, today by default.
    #[serde(default)]
    pub completed_on: Option<NaiveDate>,
}

impl Milestone {
    /// The milestone after `change`, and the lifecycle command the change
    /// amounts to: [`Command::StartMilestone`] when it starts or finishes
    /// work, else [`Command::PlanMilestone`]. Refuses an empty change, invalid
    /// fields (all reported), a completion day in the future or before the
    /// issue day, and any change to a milestone already done or dropped.
    pub fn changed(
        &self,
        change: &MilestoneChange,
        issued_on: NaiveDate,
        today: NaiveDate,
    ) -> Result<(Milestone, Command), Error> {
        if change == &MilestoneChange::default() {
            return Err(
                ValidationErrors::single("", "name at least one of title, due_on, status").into(),
            );
        }
        if !self.status.is_open() {
            return Err(Refusal::Conflict {
                reason: format!(
                    "this milestone is {} and can no longer be changed",
                    self.status.as_str()
                ),
            }
            .into());
        }
        let mut errors = ValidationErrors::new();
        let mut next = self.clone();
        if let Some(title) = &change.title
            && let Some(title) = errors.check("title", Title::parse(title))
        {
            next.title = title;
        }
        if let Some(due_on) = change.due_on
            && errors
                .check("due_on", check_due_on(due_on, issued_on))
                .is_some()
        {
            next.due_on = due_on;
        }
        let status = change.status.unwrap_or(self.status);
        if status == MilestoneStatus::Planned && self.status == MilestoneStatus::InProgress {
            errors.add("status", "a started milestone cannot go back to planned");
        }
        next.status = status;
        match (status, change.completed_on) {
            (MilestoneStatus::Done, completed_on) => {
                let completed_on = completed_on.unwrap_or(today);
                if completed_on > today {
                    errors.add(
                        "completed_on",
                        format!("must not be in the future (today is {today})"),
                    );
                } else if completed_on < issued_on {
                    errors.add(
                        "completed_on",
                        format!("must not be before the recommendation was issued ({issued_on})"),
                    );
                }
                next.completed_on = Some(completed_on);
            }
            (_, Some(_)) => errors.add("completed_on", "may only be given with status `done`"),
            (_, None) => {}
        }
        errors.into_result()?;
        let starts_work = matches!(status, MilestoneStatus::InProgress | MilestoneStatus::Done)
            && status != self.status;
        let command = if starts_work {
            Command::StartMilestone
        } else {
            Command::PlanMilestone
        };
        Ok((next, command))
    }
}
