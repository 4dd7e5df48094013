//! Status reports from SQL aggregates.
//!
//! The figures are grouped in the database — by organisation, status,
//! decision, lateness and days to response or verification — so memory grows
//! with the number of distinct groups, not with the number of assignments.
//! Only the per-recommendation lines, which the report lists one by one, are
//! read row by row. A report as of a past day rebuilds each assignment's
//! state from `assignment_events` recorded before the end of that day. The
//! result must equal `rectrack_core::status_report` on the same data; the
//! conformance tests check that on every backend.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use futures::StreamExt;
use rectrack_core::assignment::AssignmentStatus;
use rectrack_core::milestone::MilestoneStatus;
use rectrack_core::organisation::OrgCode;
use rectrack_core::status_report::{
    Group, OrganisationFigures, RecipientStatus, RecommendationStatus, ReportFilters, StatusReport,
    Tally,
};
use rectrack_core::text::{Slug, Title};
use rectrack_core::time::end_of_day;
use sea_orm::{
    AccessMode, ConnectionTrait, DbBackend, IsolationLevel, QueryResult, StreamTrait,
    TransactionOptions, TransactionTrait,
};

use crate::Store;
use crate::convert::{from_wire, micros, wire};
use crate::error::{Error, Result, stored};
use crate::sql::Sql;

impl Store {
    /// The status report as of the end of `as_of` (UTC). A day that has not
    /// ended yet reads the current state; a past day is rebuilt from events.
    pub async fn status_report(
        &self,
        filters: &ReportFilters,
        as_of: NaiveDate,
    ) -> Result<StatusReport> {
        self.status_report_with(filters, as_of, true).await
    }

    /// [`Store::status_report`], leaving out the per-recommendation lines
    /// when `lines` is false (the figures alone, for dashboards).
    pub async fn status_report_with(
        &self,
        filters: &ReportFilters,
        as_of: NaiveDate,
        lines: bool,
    ) -> Result<StatusReport> {
        let cutoff = (end_of_day(as_of) <= self.clock.now()).then(|| micros(end_of_day(as_of)));
        // Every query below reads the same snapshot, so the figures and the
        // lines agree even while writers commit.
        let txn = self
            .db
            .begin_with_options(TransactionOptions {
                // (SQLite's deferred transaction is a snapshot already.)
                isolation_level: (self.backend != DbBackend::Sqlite)
                    .then_some(IsolationLevel::RepeatableRead),
                access_mode: (self.backend != DbBackend::Sqlite).then_some(AccessMode::ReadOnly),
                ..TransactionOptions::default()
            })
            .await?;
        // Status names as SQL literals, from core's own definitions.
        let finals = sql_list(
            AssignmentStatus::ALL
                .into_iter()
                .filter(|s| s.is_final())
                .map(|s| wire(&s)),
        );
        let open = sql_list(
            MilestoneStatus::ALL
                .into_iter()
                .filter(|s| s.is_open())
                .map(|s| wire(&s)),
        );

        // Counts by status, decision and lateness, per organisation. (Days
        // are counted apart: grouped with the rest they would make nearly
        // one group per assignment.)
        let mut q = Sql::new(self.backend);
        state_cte(&mut q, filters, cutoff, false);
        let int64 = q.int64_type();
        q.push(&format!(
            "SELECT s.organisation, s.status, s.decision, CAST(CASE WHEN s.status = '{}' AND s.response_due_on < ",
            wire(&AssignmentStatus::AwaitingResponse)
        ));
        q.bind(as_of);
        q.push(&format!(
            " THEN 1 ELSE 0 END AS {int64}) AS overdue, CAST(COUNT(*) AS {int64}) AS n \
             FROM state s GROUP BY s.organisation, s.status, s.decision, 4"
        ));
        let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
        for row in txn.query_all_raw(q.build()).await? {
            let organisation: String = row.try_get("", "organisation")?;
            tallies
                .entry(organisation)
                .or_default()
                .add_group(&group(&row)?);
        }

        // Histograms of days to the first response and to verification.
        for (column, response) in [("first_response_day", true), ("verified_day", false)] {
            let mut q = Sql::new(self.backend);
            state_cte(&mut q, filters, cutoff, false);
            q.push(&format!(
                "SELECT s.organisation, CAST(s.{column} - s.issued_day AS {int64}) AS days, CAST(COUNT(*) AS {int64}) AS n \
                 FROM state s GROUP BY s.organisation, 2"
            ));
            for row in txn.query_all_raw(q.build()).await? {
                let Some(days) = row.try_get::<Option<i64>>("", "days")? else {
                    continue;
                };
                let organisation: String = row.try_get("", "organisation")?;
                let n = u64::try_from(row.try_get::<i64>("", "n")?).unwrap_or(0);
                let tally = tallies.entry(organisation).or_default();
                if response {
                    tally.add_days_to_response(days, n);
                } else {
                    tally.add_days_to_verification(days, n);
                }
            }
        }

        // Open milestones past due, of assignments not in a final status.
        let mut q = Sql::new(self.backend);
        state_cte(&mut q, filters, cutoff, false);
        let count = format!("CAST(COUNT(*) AS {})", q.int64_type());
        match cutoff {
            None => {
                q.push(&format!(
                    "SELECT s.organisation, {count} AS n FROM state s JOIN milestones m ON m.assignment_id = s.id \
                     WHERE m.status IN ({open}) AND m.due_on < "
                ));
                q.bind(as_of);
            }
            Some(cutoff) => {
                q.push(&format!(
                    "SELECT s.organisation, {count} AS n FROM state s JOIN assignment_events m ON m.assignment_id = s.id \
                     WHERE m.milestone_id IS NOT NULL AND m.at_us < "
                ));
                q.bind(cutoff);
                q.push(" AND m.seq = (SELECT MAX(m2.seq) FROM assignment_events m2 WHERE m2.milestone_id = m.milestone_id AND m2.at_us < ");
                q.bind(cutoff);
                q.push(&format!(
                    ") AND m.milestone_status IN ({open}) AND m.milestone_due_on < "
                ));
                q.bind(as_of);
            }
        }
        // Grouping by status too is deliberate: MariaDB 10.11 re-executing
        // this prepared statement (sqlx caches it per connection) returns the
        // previous execution's groups when a GROUP BY omits a derived column
        // that the WHERE filters on. The conformance suite re-executes it.
        q.push(&format!(
            " AND s.status NOT IN ({finals}) GROUP BY s.organisation, s.status"
        ));
        for row in txn.query_all_raw(q.build()).await? {
            let organisation: String = row.try_get("", "organisation")?;
            let n: i64 = row.try_get("", "n")?;
            tallies
                .entry(organisation)
                .or_default()
                .add_overdue_milestones(u64::try_from(n).unwrap_or(0));
        }

        // One line per recommendation, each recipient's status.
        let mut recommendations: Vec<RecommendationStatus> = Vec::new();
        let mut q = Sql::new(self.backend);
        state_cte(&mut q, filters, cutoff, true);
        q.push(&format!(
            "SELECT s.report_slug, s.number, s.title, s.organisation, s.status FROM state s ORDER BY {}, s.number, {}",
            q.bytewise("s.report_slug"),
            q.bytewise("s.organisation")
        ));
        // The lines are read as a stream: only the lines built so far are
        // held, never every row at once.
        if lines {
            let mut rows = txn.stream_raw(q.build()).await?;
            while let Some(row) = rows.next().await {
                let row = row?;
                let report: String = row.try_get("", "report_slug")?;
                let number: i32 = row.try_get("", "number")?;
                let number = u32::try_from(number)
                    .map_err(|_| Error::Corrupt("recommendations.number".to_owned()))?;
                let recipient = RecipientStatus {
                    organisation: stored(
                        "assignments.organisation",
                        OrgCode::parse(&row.try_get::<String>("", "organisation")?),
                    )?,
                    status: from_wire("assignments.status", &row.try_get::<String>("", "status")?)?,
                };
                match recommendations.last_mut() {
                    Some(line) if line.report.as_str() == report && line.number == number => {
                        line.recipients.push(recipient)
                    }
                    _ => recommendations.push(RecommendationStatus {
                        report: stored("recommendations.report_slug", Slug::parse(&report))?,
                        number,
                        title: stored(
                            "recommendations.title",
                            Title::parse(&row.try_get::<String>("", "title")?),
                        )?,
                        recipients: vec![recipient],
                    }),
                }
            }
        }

        txn.commit().await?;
        let mut totals = Tally::default();
        let mut by_organisation = Vec::with_capacity(tallies.len());
        for (organisation, tally) in tallies {
            totals.merge(&tally);
            by_organisation.push(OrganisationFigures {
                organisation: stored("assignments.organisation", OrgCode::parse(&organisation))?,
                figures: tally.figures(),
            });
        }
        by_organisation.sort_by(|a, b| a.organisation.cmp(&b.organisation));
        Ok(StatusReport {
            as_of,
            filters: filters.clone(),
            totals: totals.figures(),
            by_organisation,
            recommendations,
        })
    }
}

/// Quoted, comma-separated SQL literals of wire names (which are `a-z_` only).
fn sql_list(names: impl Iterator<Item = String>) -> String {
    names
        .map(|name| format!("'{name}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Writes `WITH state AS (…)`: one row per covered assignment with its status,
/// decision, due day and day numbers — current, or as of `cutoff`.
fn state_cte(q: &mut Sql, filters: &ReportFilters, cutoff: Option<i64>, lines: bool) {
    // The join to recommendations is paid only where its columns are needed.
    let join = lines || filters.report.is_some() || filters.theme.is_some();
    q.push(if join {
        "WITH state AS (SELECT a.id, a.organisation, r.report_slug, r.number, r.title, a.issued_day, "
    } else {
        "WITH state AS (SELECT a.id, a.organisation, a.issued_day, "
    });
    match cutoff {
        None => {
            q.push(
                "a.status, a.decision, a.response_due_on, a.first_response_day, a.verified_day ",
            );
        }
        Some(cutoff) => {
            q.push("COALESCE((SELECT e.status FROM assignment_events e WHERE e.assignment_id = a.id AND e.status IS NOT NULL AND e.at_us < ");
            q.bind(cutoff);
            q.push(&format!(
                " ORDER BY e.seq DESC LIMIT 1), '{}') AS status, ",
                wire(&AssignmentStatus::AwaitingResponse)
            ));
            q.push("(SELECT e.decision FROM assignment_events e WHERE e.assignment_id = a.id AND e.decision IS NOT NULL AND e.at_us < ");
            q.bind(cutoff);
            q.push(" ORDER BY e.seq DESC LIMIT 1) AS decision, ");
            q.push("COALESCE((SELECT e.response_due_on FROM assignment_events e WHERE e.assignment_id = a.id AND e.response_due_on IS NOT NULL AND e.at_us < ");
            q.bind(cutoff);
            q.push(" ORDER BY e.seq DESC LIMIT 1), a.initial_due_on) AS response_due_on, ");
            q.push("(SELECT MIN(e.at_day) FROM assignment_events e WHERE e.assignment_id = a.id AND e.decision IS NOT NULL AND e.at_us < ");
            q.bind(cutoff);
            q.push(") AS first_response_day, ");
            q.push(&format!(
                "(SELECT MIN(e.at_day) FROM assignment_events e WHERE e.assignment_id = a.id AND e.status = '{}' AND e.at_us < ",
                wire(&AssignmentStatus::Verified)
            ));
            q.bind(cutoff);
            q.push(") AS verified_day ");
        }
    }
    q.push(if join {
        "FROM assignments a JOIN recommendations r ON r.id = a.recommendation_id WHERE 1 = 1"
    } else {
        "FROM assignments a WHERE 1 = 1"
    });
    if let Some(cutoff) = cutoff {
        q.push(" AND a.created_at_us < ");
        q.bind(cutoff);
    }
    if let Some(report) = &filters.report {
        q.push(" AND r.report_slug = ");
        q.bind(report.to_string());
    }
    if let Some(organisation) = &filters.organisation {
        q.push(" AND a.organisation = ");
        q.bind(organisation.to_string());
    }
    if let Some(theme) = &filters.theme {
        q.push(" AND EXISTS (SELECT 1 FROM recommendation_themes t WHERE t.recommendation_id = r.id AND t.theme = ");
        q.bind(theme.to_string());
        q.push(")");
    }
    q.push(") ");
}

/// Reads one group of the main aggregate.
fn group(row: &QueryResult) -> Result<Group> {
    let decision: Option<String> = row.try_get("", "decision")?;
    Ok(Group {
        status: from_wire("status", &row.try_get::<String>("", "status")?)?,
        decision: decision.map(|d| from_wire("decision", &d)).transpose()?,
        response_overdue: row.try_get::<i64>("", "overdue")? == 1,
        days_to_response: None,
        days_to_verification: None,
        count: u64::try_from(row.try_get::<i64>("", "n")?).unwrap_or(0),
    })
}
