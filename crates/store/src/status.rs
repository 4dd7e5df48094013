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
use rectrack_core::deadline;
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
        // Status names as SQL literals, from core's own rules.
        let owing_milestones = sql_list(
            deadline::statuses_where(deadline::owes_milestones)
                .iter()
                .map(wire),
        );
        let open = sql_list(
            MilestoneStatus::ALL
                .into_iter()
                .filter(|s| s.is_open())
                .map(|s| wire(&s)),
        );

        // The figures come in four parts, each grouped by organisation:
        // counts by status, decision and lateness; histograms of days to the
        // first response and to verification (grouped with the rest they
        // would make nearly one group per assignment); and open milestones
        // past due. The live state is read from an index, so each part is a
        // statement of its own. A past day's state is rebuilt from events,
        // which costs far more: there the parts are one statement reading a
        // materialised state, so that it is rebuilt once, not once per part
        // (2.6 s against 5.6 s on 100k assignments on SQLite).
        let statements = if cutoff.is_some() {
            let mut q = Sql::new(self.backend);
            state_cte(&mut q, filters, cutoff, false, true);
            for (i, part) in Part::ALL.into_iter().enumerate() {
                if i > 0 {
                    q.push(" UNION ALL ");
                }
                figures_part(&mut q, part, as_of, cutoff, &owing_milestones, &open);
            }
            vec![q.build()]
        } else {
            Part::ALL
                .into_iter()
                .map(|part| {
                    let mut q = Sql::new(self.backend);
                    state_cte(&mut q, filters, cutoff, false, false);
                    figures_part(&mut q, part, as_of, cutoff, &owing_milestones, &open);
                    q.build()
                })
                .collect()
        };
        let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
        for statement in statements {
            for row in txn.query_all_raw(statement).await? {
                let organisation: String = row.try_get("", "organisation")?;
                let tally = tallies.entry(organisation).or_default();
                let n = u64::try_from(row.try_get::<i64>("", "n")?).unwrap_or(0);
                let days = row.try_get::<Option<i64>>("", "days")?;
                match Part::named(&row.try_get::<String>("", "part")?)? {
                    Part::Status => tally.add_group(&group(&row, n)?),
                    Part::DaysToResponse => {
                        if let Some(days) = days {
                            tally.add_days_to_response(days, n);
                        }
                    }
                    Part::DaysToVerification => {
                        if let Some(days) = days {
                            tally.add_days_to_verification(days, n);
                        }
                    }
                    Part::OverdueMilestones => tally.add_overdue_milestones(n),
                }
            }
        }
        // One line per recommendation, each recipient's status.
        let mut recommendations: Vec<RecommendationStatus> = Vec::new();
        let mut q = Sql::new(self.backend);
        state_cte(&mut q, filters, cutoff, true, false);
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
/// decision, due day and day numbers — current, or as of `cutoff`. With
/// `once`, the state is computed once however many parts of the statement
/// read it.
fn state_cte(q: &mut Sql, filters: &ReportFilters, cutoff: Option<i64>, lines: bool, once: bool) {
    // The join to recommendations is paid only where its columns are needed.
    let join = lines || filters.report.is_some() || filters.theme.is_some();
    let materialized = if once { q.materialized() } else { "" };
    q.push(&format!(
        "WITH state AS {materialized}(SELECT a.id, a.organisation, "
    ));
    q.push(if join {
        "r.report_slug, r.number, r.title, a.issued_day, "
    } else {
        "a.issued_day, "
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
                wire(&AssignmentStatus::INITIAL)
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

/// A part of the figures, named in each row of its statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Status,
    DaysToResponse,
    DaysToVerification,
    OverdueMilestones,
}

impl Part {
    const ALL: [Part; 4] = [
        Part::Status,
        Part::DaysToResponse,
        Part::DaysToVerification,
        Part::OverdueMilestones,
    ];

    fn name(self) -> &'static str {
        match self {
            Part::Status => "status",
            Part::DaysToResponse => "response",
            Part::DaysToVerification => "verified",
            Part::OverdueMilestones => "milestones",
        }
    }

    fn named(name: &str) -> Result<Part> {
        Part::ALL
            .into_iter()
            .find(|part| part.name() == name)
            .ok_or_else(|| Error::Corrupt(format!("status report part {name}")))
    }
}

/// Writes the `SELECT` of one part over the `state` CTE. Every part has the
/// same columns (`part, organisation, status, decision, overdue, days, n`),
/// so that the parts can be one statement.
fn figures_part(
    q: &mut Sql,
    part: Part,
    as_of: NaiveDate,
    cutoff: Option<i64>,
    owing_milestones: &str,
    open: &str,
) {
    let int64 = q.int64_type();
    let none = format!("CAST(NULL AS {int64})");
    let count = format!("CAST(COUNT(*) AS {int64}) AS n");
    q.push(&format!(
        "SELECT '{}' AS part, s.organisation, ",
        part.name()
    ));
    match part {
        Part::Status => {
            q.push(&format!(
                "s.status, s.decision, CAST(CASE WHEN s.status IN ({}) AND s.response_due_on < ",
                sql_list(
                    deadline::statuses_where(deadline::owes_response)
                        .iter()
                        .map(wire)
                )
            ));
            q.bind(as_of);
            q.push(&format!(
                " THEN 1 ELSE 0 END AS {int64}) AS overdue, {none} AS days, {count} \
                 FROM state s GROUP BY s.organisation, s.status, s.decision, 5"
            ));
        }
        Part::DaysToResponse | Part::DaysToVerification => {
            let column = if part == Part::DaysToResponse {
                "first_response_day"
            } else {
                "verified_day"
            };
            q.push(&format!(
                "NULL AS status, NULL AS decision, {none} AS overdue, \
                 CAST(s.{column} - s.issued_day AS {int64}) AS days, {count} \
                 FROM state s GROUP BY s.organisation, 6"
            ));
        }
        Part::OverdueMilestones => {
            // Of assignments not in a final status.
            q.push(&format!(
                "s.status, NULL AS decision, {none} AS overdue, {none} AS days, {count} FROM state s "
            ));
            match cutoff {
                None => {
                    q.push(&format!(
                        "JOIN milestones m ON m.assignment_id = s.id \
                         WHERE m.status IN ({open}) AND m.due_on < "
                    ));
                    q.bind(as_of);
                }
                Some(cutoff) => {
                    q.push(
                        "JOIN assignment_events m ON m.assignment_id = s.id \
                         WHERE m.milestone_id IS NOT NULL AND m.at_us < ",
                    );
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
            // this prepared statement (sqlx caches it per connection) returns
            // the previous execution's groups when a GROUP BY omits a derived
            // column that the WHERE filters on. The conformance suite
            // re-executes it.
            q.push(&format!(
                " AND s.status IN ({owing_milestones}) GROUP BY s.organisation, s.status"
            ));
        }
    }
}

/// Reads one group of the status part: `n` alike assignments.
fn group(row: &QueryResult, n: u64) -> Result<Group> {
    let decision: Option<String> = row.try_get("", "decision")?;
    Ok(Group {
        status: from_wire("status", &row.try_get::<String>("", "status")?)?,
        decision: decision.map(|d| from_wire("decision", &d)).transpose()?,
        response_overdue: row.try_get::<i64>("", "overdue")? == 1,
        days_to_response: None,
        days_to_verification: None,
        count: n,
    })
}
