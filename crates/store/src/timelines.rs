//! Every assignment's recorded history as core's timelines, read back from
//! `assignment_events`: the input of core's pure status report, used to check
//! the SQL report against it and to audit what an as-of report rests on.

use chrono::NaiveDate;
use rectrack_core::assignment::AssignmentStatus;
use rectrack_core::ids::{AssignmentId, MilestoneId};
use rectrack_core::milestone::MilestoneStatus;
use rectrack_core::organisation::OrgCode;
use rectrack_core::response::ResponseDecision;
use rectrack_core::status_report::{
    AssignmentSnapshot, AssignmentTimeline, Change, MilestoneState, Recorded,
};
use rectrack_core::text::{Slug, Title};
use sea_orm::ConnectionTrait;

use crate::Store;
use crate::convert::{from_micros, from_wire};
use crate::error::{Error, Result, stored};
use crate::sql::Sql;

impl Store {
    /// Every assignment's recorded history, for checking the SQL report
    /// against core's pure one. Loads everything: meant for tests and audits
    /// of modest data sets, not for serving reports.
    pub async fn assignment_timelines(&self) -> Result<Vec<AssignmentTimeline>> {
        let mut q = Sql::new(self.backend);
        q.push(
            "SELECT a.id, a.organisation, a.issued_on, a.initial_due_on, a.created_at_us, r.report_slug, r.number, r.title, r.id AS recommendation_id \
             FROM assignments a JOIN recommendations r ON r.id = a.recommendation_id",
        );
        let mut timelines = Vec::new();
        for row in self.db.query_all_raw(q.build()).await? {
            let id: uuid::Uuid = row.try_get("", "id")?;
            let recommendation_id: uuid::Uuid = row.try_get("", "recommendation_id")?;
            let mut themes = Sql::new(self.backend);
            themes.push("SELECT theme FROM recommendation_themes WHERE recommendation_id = ");
            themes.bind(recommendation_id);
            themes.push(" ORDER BY position");
            let themes = self
                .db
                .query_all_raw(themes.build())
                .await?
                .iter()
                .map(|t| {
                    stored(
                        "recommendation_themes.theme",
                        Slug::parse(&t.try_get::<String>("", "theme")?),
                    )
                })
                .collect::<Result<Vec<_>>>()?;
            let number: i32 = row.try_get("", "number")?;
            let initial = AssignmentSnapshot {
                assignment_id: AssignmentId::from_uuid(id),
                report: stored(
                    "recommendations.report_slug",
                    Slug::parse(&row.try_get::<String>("", "report_slug")?),
                )?,
                number: u32::try_from(number)
                    .map_err(|_| Error::Corrupt("recommendations.number".to_owned()))?,
                title: stored(
                    "recommendations.title",
                    Title::parse(&row.try_get::<String>("", "title")?),
                )?,
                themes,
                organisation: stored(
                    "assignments.organisation",
                    OrgCode::parse(&row.try_get::<String>("", "organisation")?),
                )?,
                issued_on: row.try_get("", "issued_on")?,
                response_due_on: row.try_get("", "initial_due_on")?,
                status: AssignmentStatus::INITIAL,
                decision: None,
                first_response_on: None,
                verified_on: None,
                closed_on: None,
                milestones: vec![],
                first_response_bound: false,
                verified_bound: false,
                uncertain: false,
            };
            let mut events = Sql::new(self.backend);
            events.push(
                "SELECT at_us, occurred_on, occurred_bound, status, decision, response_due_on, milestone_id, milestone_due_on, milestone_status \
                 FROM assignment_events WHERE assignment_id = ",
            );
            events.bind(id);
            events.push(" ORDER BY seq");
            let mut changes = Vec::new();
            for event in self.db.query_all_raw(events.build()).await? {
                let at = from_micros(event.try_get("", "at_us")?)?;
                let occurred_on: Option<NaiveDate> = event.try_get("", "occurred_on")?;
                let occurred_on = occurred_on
                    .ok_or_else(|| Error::Corrupt("assignment_events.occurred_on".to_owned()))?;
                let bound: bool = event.try_get("", "occurred_bound")?;
                let status: Option<String> = event.try_get("", "status")?;
                let decision: Option<String> = event.try_get("", "decision")?;
                match (decision, status) {
                    (Some(decision), _) => changes.push(Recorded {
                        at,
                        occurred_on,
                        bound,
                        change: Change::Responded {
                            decision: from_wire::<ResponseDecision>(
                                "assignment_events.decision",
                                &decision,
                            )?,
                        },
                    }),
                    (None, Some(status)) => changes.push(Recorded {
                        at,
                        occurred_on,
                        bound,
                        change: Change::Status {
                            status: from_wire("assignment_events.status", &status)?,
                        },
                    }),
                    (None, None) => {}
                }
                if let Some(due_on) = event.try_get::<Option<NaiveDate>>("", "response_due_on")? {
                    changes.push(Recorded {
                        at,
                        occurred_on,
                        bound,
                        change: Change::DueDate { due_on },
                    });
                }
                if let Some(milestone) = event.try_get::<Option<uuid::Uuid>>("", "milestone_id")? {
                    let due_on: Option<NaiveDate> = event.try_get("", "milestone_due_on")?;
                    let status: Option<String> = event.try_get("", "milestone_status")?;
                    changes.push(Recorded {
                        at,
                        occurred_on,
                        bound,
                        change: Change::Milestone(MilestoneState {
                            id: MilestoneId::from_uuid(milestone),
                            due_on: due_on.ok_or_else(|| {
                                Error::Corrupt("assignment_events.milestone_due_on".to_owned())
                            })?,
                            status: from_wire::<MilestoneStatus>(
                                "assignment_events.milestone_status",
                                status.as_deref().unwrap_or_default(),
                            )?,
                        }),
                    });
                }
            }
            timelines.push(AssignmentTimeline {
                created_at: from_micros(row.try_get("", "created_at_us")?)?,
                initial,
                changes,
            });
        }
        Ok(timelines)
    }
}
