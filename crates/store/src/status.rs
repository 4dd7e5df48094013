//! Status reports from SQL aggregates.
//!
//! The figures are grouped in the database — by organisation, status,
//! decision, lateness and days to response or verification — so memory grows
//! with the number of distinct groups, not with the number of assignments.
//! Only the per-recommendation lines, which the report lists one by one, are
//! read row by row. SQLite counts a statement's parts one after another on
//! one core, so there the whole report, or one organisation's, reads what
//! is kept for it instead: the live figures the counts that triggers keep
//! as states change (`report_tallies`, decision 0011), a past day's figures
//! each organisation's states as texts from one index, counted here with
//! core's rules (decision 0012); and the lines come one row per
//! recommendation.
//! A report as of a past day reads each assignment's state
//! from `assignment_states`, whose intervals say when each state began and
//! ended on both time lines: the state recorded by the end of that day
//! (`basis=recorded`), or the one it was in by then as it happened
//! (`basis=occurred`).
//! The result must equal `rectrack_core::status_report` on the same data;
//! the conformance tests check that on every backend and both bases.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use foldhash::{HashMap, HashMapExt};
use futures::StreamExt;
use rectrack_core::assignment::AssignmentStatus;
use rectrack_core::deadline::{self, ResponseClock};
use rectrack_core::milestone::MilestoneStatus;
use rectrack_core::organisation::OrgCode;
use rectrack_core::response::ResponseDecision;
use rectrack_core::status_report::{
    Basis, Group, OrganisationFigures, RecipientStatus, RecommendationStatus, ReportFilters,
    StatusReport, Tally,
};
use rectrack_core::text::{Slug, Title};
use rectrack_core::time::end_of_day;
use rectrack_migrations::{MILESTONE_TEXT, MILESTONES_WHOLE, STATE_TEXT, STATES_WHOLE};
use sea_orm::{
    AccessMode, ConnectionTrait, DatabaseTransaction, DbBackend, IsolationLevel, QueryResult,
    StreamTrait, TransactionOptions, TransactionTrait,
};

use crate::Store;
use crate::convert::{day_number, from_wire, micros, wire};
use crate::error::{Error, Result, stored};
use crate::sql::Sql;

impl Store {
    /// The status report as of the end of `as_of` (UTC), on `basis`. A day
    /// that has not ended yet reads the current state (on either basis, for
    /// nothing recorded can have occurred later than it was recorded); a past
    /// day reads the states that held then.
    pub async fn status_report(
        &self,
        filters: &ReportFilters,
        as_of: NaiveDate,
        basis: Basis,
    ) -> Result<StatusReport> {
        self.status_report_with(filters, as_of, basis, true).await
    }

    /// [`Store::status_report`], leaving out the per-recommendation lines
    /// when `lines` is false (the figures alone, for dashboards).
    pub async fn status_report_with(
        &self,
        filters: &ReportFilters,
        as_of: NaiveDate,
        basis: Basis,
        lines: bool,
    ) -> Result<StatusReport> {
        let past = (end_of_day(as_of) <= self.clock.now()).then(|| Past {
            basis,
            cutoff: micros(end_of_day(as_of)),
            day: day_number(as_of),
        });
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
        // past due. They are one statement: PostgreSQL runs its parts side
        // by side (85 ms against 130 ms one after another, on 100k
        // assignments), and the others save the round trips. The live state
        // is read from an index by each part; a past day's is the interval
        // of each assignment that held then, read from a range of interval
        // ends, on PostgreSQL by each part, side by side again (125–150 ms
        // against 220 ms materialised). SQLite runs one part at a time, so
        // there the whole report, or one organisation's, reads what is kept
        // for it instead: the live figures the tallies kept as states
        // change (decision 0011), a past day's figures the texts of the
        // states that held then, one organisation's after another, from an
        // index (decision 0012). A report or theme filter counts its few
        // assignments.
        let tallies = match past {
            _ if self.backend != DbBackend::Sqlite
                || filters.report.is_some()
                || filters.theme.is_some() =>
            {
                let mut q = Sql::new(self.backend);
                // SQLite runs the parts one after another: a past day's
                // states, or a report's or theme's few assignments, are
                // found once and kept for all four rather than each part
                // seeking them again.
                let once = self.backend == DbBackend::Sqlite
                    && (past.is_some() || filters.report.is_some() || filters.theme.is_some());
                state_cte(&mut q, filters, past, false, once);
                for (i, part) in Part::ALL.into_iter().enumerate() {
                    if i > 0 {
                        q.push(" UNION ALL ");
                    }
                    figures_part(&mut q, part, as_of, past, &owing_milestones, &open);
                }
                read_parts(txn.query_all_raw(q.build()).await?)?
            }
            None => read_parts(
                txn.query_all_raw(tallied_figures(filters, as_of, &owing_milestones, &open))
                    .await?,
            )?,
            Some(past) => count_whole_states(&txn, filters, as_of, past, &open).await?,
        };
        // One line per recommendation, each recipient's status. The lines
        // are read as a stream: only the lines built so far are held, never
        // every row at once.
        // (A report that counts no assignment has none: a day before the
        // record began lists no recommendation.)
        let mut recommendations: Vec<RecommendationStatus> = Vec::new();
        if lines
            && tallies
                .values()
                .any(|tally| tally.figures().assignments > 0)
        {
            let mut rows = txn
                .stream_raw(lines_query(self.backend, filters, past))
                .await?;
            while let Some(row) = rows.next().await {
                read_line(&row?, &mut recommendations)?;
            }
            for line in &mut recommendations {
                line.recipients
                    .sort_by(|a, b| a.organisation.cmp(&b.organisation));
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
            basis,
            filters: filters.clone(),
            totals: totals.figures(),
            by_organisation,
            recommendations,
        })
    }
}

/// The live figures on SQLite, from the counts kept as states change
/// (`report_tallies`, migration `m20261204_000008`): the same parts, with
/// the same columns, as [`figures_part`] gives from the assignments, with
/// core's rules applied to the counts here as there.
fn tallied_figures(
    filters: &ReportFilters,
    as_of: NaiveDate,
    owing_milestones: &str,
    open: &str,
) -> sea_orm::Statement {
    let mut q = Sql::new(DbBackend::Sqlite);
    // The due day is kept only while there is no response, which is all
    // the time a status that owes one lasts.
    q.push(&format!(
        "SELECT '{name}' AS part, organisation, status, NULLIF(decision, '') AS decision, \
         CAST(CASE WHEN status IN ({owes}) AND due_on < ",
        name = Part::Status.name(),
        owes = sql_list(
            deadline::statuses_where(deadline::owes_response)
                .iter()
                .map(wire)
        )
    ));
    q.bind(as_of);
    q.push(&format!(
        " THEN {overdue} WHEN answered = 0 THEN {running} WHEN answered = 1 THEN {on_time} \
         WHEN bound = 1 THEN {maybe_late} ELSE {late} END AS INTEGER) AS flag, \
         CAST(NULL AS INTEGER) AS days, CAST(SUM(n) AS INTEGER) AS n \
         FROM report_tallies WHERE part = 'status'",
        overdue = ResponseClock::Overdue.code(),
        running = ResponseClock::Running.code(),
        on_time = ResponseClock::OnTime.code(),
        maybe_late = ResponseClock::MaybeLate.code(),
        late = ResponseClock::Late.code(),
    ));
    organisation_filter(&mut q, filters, "organisation");
    q.push(" GROUP BY organisation, status, decision, 5");
    for part in [Part::DaysToResponse, Part::DaysToVerification] {
        q.push(&format!(
            " UNION ALL SELECT '{name}', organisation, NULL, NULL, bound, days, n \
             FROM report_tallies WHERE part = '{name}'",
            name = part.name()
        ));
        organisation_filter(&mut q, filters, "organisation");
    }
    q.push(&format!(
        " UNION ALL SELECT '{name}', organisation, status, NULL, NULL, NULL, SUM(n) \
         FROM report_tallies WHERE part = '{name}' AND decision IN ({open}) \
         AND status IN ({owing_milestones}) AND due_on < ",
        name = Part::OverdueMilestones.name()
    ));
    q.bind(as_of);
    organisation_filter(&mut q, filters, "organisation");
    q.push(" GROUP BY organisation, status");
    q.build()
}

/// Counts the rows of the four parts ([`figures_part`], [`tallied_figures`])
/// by organisation.
fn read_parts(rows: Vec<QueryResult>) -> Result<BTreeMap<String, Tally>> {
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    for row in rows {
        let organisation: String = row.try_get("", "organisation")?;
        let tally = tallies.entry(organisation).or_default();
        let n = u64::try_from(row.try_get::<i64>("", "n")?).unwrap_or(0);
        let days = row.try_get::<Option<i64>>("", "days")?;
        let flag = row.try_get::<Option<i64>>("", "flag")?;
        match Part::named(&row.try_get::<String>("", "part")?)? {
            Part::Status => tally.add_group(&group(&row, n)?),
            Part::DaysToResponse => {
                if let Some(days) = days {
                    tally.add_days_to_response(days, flag == Some(1), n);
                }
            }
            Part::DaysToVerification => {
                if let Some(days) = days {
                    tally.add_days_to_verification(days, flag == Some(1), n);
                }
            }
            Part::OverdueMilestones => tally.add_overdue_milestones(n),
        }
    }
    Ok(tallies)
}

/// A past day's figures on SQLite, by organisation: the ids of the overdue
/// milestones ([`overdue_milestones_query`]), then each organisation's
/// states ([`whole_states_query`]), counted as they come.
async fn count_whole_states(
    txn: &DatabaseTransaction,
    filters: &ReportFilters,
    as_of: NaiveDate,
    past: Past,
    open: &str,
) -> Result<BTreeMap<String, Tally>> {
    let ids = txn
        .query_one_raw(overdue_milestones_query(as_of, past, open))
        .await?
        .map(|row| row.try_get::<Option<String>>("", "ids"))
        .transpose()?
        .flatten()
        .unwrap_or_default();
    let mut overdue: HashMap<&str, u64> = HashMap::new();
    for id in ids.split_terminator(',') {
        *overdue.entry(id).or_default() += 1;
    }
    let mut tallies = BTreeMap::new();
    let mut rows = txn.stream_raw(whole_states_query(filters, past)).await?;
    while let Some(row) = rows.next().await {
        let row = row?;
        let states: String = row.try_get("", "states")?;
        tallies.insert(
            row.try_get("", "organisation")?,
            count_states(&states, as_of, past.basis, &overdue)?,
        );
    }
    Ok(tallies)
}

/// The overdue milestones on a past day, on SQLite, as one row: in `ids`,
/// for each open milestone state that held then and was due before
/// `as_of`, its assignment's id in hexadecimal ([`MILESTONE_TEXT`]),
/// joined by commas; read from one range of an index (migration
/// `m20261205_000009`). The range ends where the day's states end: a state
/// that ended after the day as it happened was recorded ending after it
/// too, for nothing is recorded before it happens.
fn overdue_milestones_query(as_of: NaiveDate, past: Past, open: &str) -> sea_orm::Statement {
    let mut q = Sql::new(DbBackend::Sqlite);
    q.push(&format!(
        "SELECT group_concat({MILESTONE_TEXT}, ',') AS ids \
         FROM milestone_states m INDEXED BY {MILESTONES_WHOLE} WHERE m.to_us >= "
    ));
    q.bind(past.cutoff);
    past.holds(&mut q, "m");
    q.push(&format!(" AND m.status IN ({open}) AND m.due_on < "));
    q.bind(as_of);
    q.build()
}

/// The states that held on a past day, on SQLite: one row per
/// organisation, with the texts of its states ([`STATE_TEXT`]) joined by
/// commas in `states`, read in order from an index of the texts (migration
/// `m20261205_000009`), so that only one organisation's are held at once.
fn whole_states_query(filters: &ReportFilters, past: Past) -> sea_orm::Statement {
    let mut q = Sql::new(DbBackend::Sqlite);
    q.push(&format!(
        "SELECT a.organisation, group_concat({STATE_TEXT}, ',') AS states \
         FROM assignment_states a INDEXED BY {STATES_WHOLE} WHERE a.to_us >= "
    ));
    q.bind(past.cutoff);
    past.holds(&mut q, "a");
    organisation_filter(&mut q, filters, "a.organisation");
    q.push(" GROUP BY a.organisation");
    q.build()
}

/// Counts one organisation's `states` ([`whole_states_query`]) with core's
/// rules: each state as a group of one, and the `overdue` milestones (by
/// assignment id) of each assignment that still owes its milestones. The
/// texts are read in one pass, field by field.
fn count_states(
    states: &str,
    as_of: NaiveDate,
    basis: Basis,
    overdue: &HashMap<&str, u64>,
) -> Result<Tally> {
    let statuses = AssignmentStatus::ALL.map(|status| (wire(&status), status));
    let decisions = ResponseDecision::ALL.map(|decision| (wire(&decision), decision));
    let as_of = day_number(as_of);
    let mut tally = Tally::default();
    let mut fields = Fields(states);
    while !fields.0.is_empty() {
        let text = fields.0;
        let corrupt = || {
            let text = text.split(',').next().unwrap_or_default();
            Error::Corrupt(format!("assignment state text {text}"))
        };
        let mut field = || fields.next(false).ok_or_else(corrupt);
        let status = named(&statuses, field()?).ok_or_else(corrupt)?;
        let decision = match field()? {
            "" => None,
            name => Some(named(&decisions, name).ok_or_else(corrupt)?),
        };
        let mut number = || field()?.parse::<i32>().map_err(|_| corrupt());
        let (due_day, issued_day) = (number()?, number()?);
        let (first_response_day, verified_day) = (field()?, field()?);
        let mut flag = || match field()? {
            "0" => Ok(false),
            "1" => Ok(true),
            _ => Err(corrupt()),
        };
        let (first_response_bound, verified_bound, next_bound) = (flag()?, flag()?, flag()?);
        let id = fields.next(true).ok_or_else(corrupt)?;
        // A day, if there is one, with whether it is a bound.
        let stamp = |day: &str, bound: bool| -> Result<Option<(i32, bool)>> {
            match day {
                "" => Ok(None),
                day => Ok(Some((day.parse().map_err(|_| corrupt())?, bound))),
            }
        };
        let first_response = stamp(first_response_day, first_response_bound)?;
        let since_issue =
            |(day, bound): (i32, bool)| (i64::from(day) - i64::from(issued_day), bound);
        tally.add_group(&Group {
            status,
            decision,
            // Only a state as it happened can be followed by a change that
            // may have come earlier than its day.
            clock: deadline::response_clock(
                status,
                due_day,
                first_response,
                basis == Basis::Occurred && next_bound,
                as_of,
            ),
            days_to_response: first_response.map(since_issue),
            days_to_verification: stamp(verified_day, verified_bound)?.map(since_issue),
            count: 1,
        });
        if deadline::owes_milestones(status) {
            tally.add_overdue_milestones(overdue.get(id).copied().unwrap_or(0));
        }
    }
    Ok(tally)
}

/// The rest of the texts of states: fields each ended by a space, the last
/// of a state by a comma (or the end).
struct Fields<'a>(&'a str);

impl<'a> Fields<'a> {
    /// The next field, if it is (`last`) or is not the last of its state.
    fn next(&mut self, last: bool) -> Option<&'a str> {
        // A plain loop over bytes: `split` searches with `memchr`, which
        // costs more than it saves on fields of a few bytes.
        let end = self
            .0
            .bytes()
            .position(|b| b == b' ' || b == b',')
            .unwrap_or(self.0.len());
        let separator = self.0.as_bytes().get(end).copied();
        if (separator == Some(b' ')) == last {
            return None;
        }
        let field = &self.0[..end];
        self.0 = self.0.get(end + 1..).unwrap_or_default();
        Some(field)
    }
}

/// The rows of the lines, each with its recommendation's report, number
/// and title and, in `recipients`, `organisation status` pairs joined by
/// commas. On SQLite, one row per recommendation: SQLite hands every row
/// from its connection thread to the reader, and a third as many rows
/// cost a third as many hand-overs. For the whole report, each
/// recommendation in order with its pairs aggregated from an index of its
/// recipients (their states, for a past day); for one organisation's, that
/// organisation's assignments grouped by recommendation (rather than every
/// recommendation, most with no recipient to show). Elsewhere, one row per
/// recipient, from the state that held then (PostgreSQL reads these faster
/// than it aggregates them).
fn lines_query(
    backend: DbBackend,
    filters: &ReportFilters,
    past: Option<Past>,
) -> sea_orm::Statement {
    let mut q = Sql::new(backend);
    if backend != DbBackend::Sqlite {
        state_cte(&mut q, filters, past, true, false);
        let pair = q.pair("s.organisation", "s.status");
        let order = format!(" ORDER BY {}, s.number", q.bytewise("s.report_slug"));
        q.push(&format!(
            "SELECT s.report_slug, s.number, s.title, {pair} AS recipients FROM state s{order}"
        ));
        return q.build();
    }
    let pair = q.pair("a.organisation", "a.status");
    let table = if past.is_some() {
        "assignment_states"
    } else {
        "assignments"
    };
    let holds = |q: &mut Sql| {
        if let Some(past) = past {
            past.holds(q, "a");
        }
        organisation_filter(q, filters, "a.organisation");
    };
    if filters.organisation.is_some() {
        q.push(&format!(
            "SELECT r.report_slug, r.number, r.title, group_concat({pair}, ',') AS recipients \
             FROM {table} a JOIN recommendations r ON r.id = a.recommendation_id WHERE 1 = 1"
        ));
        holds(&mut q);
        recommendation_filters(&mut q, filters);
        q.push(" GROUP BY r.report_slug, r.number ORDER BY r.report_slug, r.number");
    } else {
        q.push(&format!(
            "SELECT r.report_slug, r.number, r.title, (SELECT group_concat({pair}, ',') \
             FROM {table} a WHERE a.recommendation_id = r.id"
        ));
        holds(&mut q);
        q.push(") AS recipients FROM recommendations r WHERE 1 = 1");
        recommendation_filters(&mut q, filters);
        q.push(" ORDER BY r.report_slug, r.number");
    }
    q.build()
}

/// Adds a row of [`lines_query`] to the lines: its recipients to the last
/// line if it is the same recommendation's, else as a new line. A
/// recommendation with no recipient in the report has no line.
fn read_line(row: &QueryResult, lines: &mut Vec<RecommendationStatus>) -> Result<()> {
    let Some(pairs) = row.try_get::<Option<String>>("", "recipients")? else {
        return Ok(());
    };
    let report: String = row.try_get("", "report_slug")?;
    let number = u32::try_from(row.try_get::<i32>("", "number")?)
        .map_err(|_| Error::Corrupt("recommendations.number".to_owned()))?;
    let mut recipients = Vec::new();
    for pair in pairs.split(',') {
        let (organisation, status) = pair
            .split_once(' ')
            .ok_or_else(|| Error::Corrupt(format!("status report recipient {pair}")))?;
        recipients.push(RecipientStatus {
            organisation: stored("assignments.organisation", OrgCode::parse(organisation))?,
            status: from_wire("assignments.status", status)?,
        });
    }
    match lines.last_mut() {
        Some(line) if line.report.as_str() == report && line.number == number => {
            line.recipients.append(&mut recipients)
        }
        _ => lines.push(RecommendationStatus {
            report: stored("recommendations.report_slug", Slug::parse(&report))?,
            number,
            title: stored(
                "recommendations.title",
                Title::parse(&row.try_get::<String>("", "title")?),
            )?,
            recipients,
        }),
    }
    Ok(())
}

/// The value of `name` among `names`, pairs of wire names and values.
fn named<T: Copy>(names: &[(String, T)], name: &str) -> Option<T> {
    names
        .iter()
        .find(|(wire, _)| wire == name)
        .map(|&(_, value)| value)
}

/// Quoted, comma-separated SQL literals of wire names (which are `a-z_` only).
fn sql_list(names: impl Iterator<Item = String>) -> String {
    names
        .map(|name| format!("'{name}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A past day's report: which states it reads.
#[derive(Debug, Clone, Copy)]
struct Past {
    /// Those recorded before `cutoff`, or those occurred by `day`.
    basis: Basis,
    /// The end of the day, in microseconds.
    cutoff: i64,
    /// The day, as a day number.
    day: i32,
}

impl Past {
    /// ` AND ` the interval of `s` (in `assignment_states` or
    /// `milestone_states`) holds the end of the day: it began by then and
    /// ended after.
    fn holds(self, q: &mut Sql, s: &str) {
        match self.basis {
            Basis::Recorded => {
                q.push(&format!(" AND {s}.to_us >= "));
                q.bind(self.cutoff);
                q.push(&format!(" AND {s}.from_us < "));
                q.bind(self.cutoff);
            }
            Basis::Occurred => {
                q.push(&format!(" AND {s}.to_day > "));
                q.bind(self.day);
                q.push(&format!(" AND {s}.from_day <= "));
                q.bind(self.day);
            }
        }
    }
}

/// Writes `WITH state AS (…)`: one row per covered assignment with its status,
/// decision, due day, the days (and bounds) of its first response and of
/// its verification, and whether its state is uncertain — current, from
/// `assignments`, or as of a `past` day, from the state each assignment was
/// in then (`assignment_states`). With `once`, the state is computed once
/// however many parts of the statement read it; otherwise each part reads
/// the table itself.
fn state_cte(q: &mut Sql, filters: &ReportFilters, past: Option<Past>, lines: bool, once: bool) {
    // The join to recommendations is paid only where its columns are needed.
    let join = lines || filters.report.is_some() || filters.theme.is_some();
    let materialized = if once {
        q.materialized()
    } else {
        q.not_materialized()
    };
    let (table, id) = match past {
        None => ("assignments", "a.id"),
        Some(_) => ("assignment_states", "a.assignment_id"),
    };
    q.push(&format!(
        "WITH state AS {materialized}(SELECT {id} AS id, a.organisation, "
    ));
    q.push(if join {
        "r.report_slug, r.number, r.title, a.issued_day, "
    } else {
        "a.issued_day, "
    });
    q.push(
        "a.status, a.decision, a.response_due_on, a.first_response_on, a.first_response_day, a.verified_day, \
         CASE WHEN a.first_response_bound THEN 1 ELSE 0 END AS first_response_bound, \
         CASE WHEN a.verified_bound THEN 1 ELSE 0 END AS verified_bound, ",
    );
    q.push(match past {
        // As it happened: the next change may have come earlier than its
        // day says, if that day is a bound.
        Some(Past {
            basis: Basis::Occurred,
            ..
        }) => "CASE WHEN a.next_bound THEN 1 ELSE 0 END AS uncertain ",
        // Everything counted had been recorded; nothing is in doubt.
        _ => "0 AS uncertain ",
    });
    q.push(&format!("FROM {table} a "));
    if join {
        q.push("JOIN recommendations r ON r.id = a.recommendation_id ");
    }
    q.push("WHERE 1 = 1");
    if let Some(past) = past {
        past.holds(q, "a");
    }
    recommendation_filters(q, filters);
    organisation_filter(q, filters, "a.organisation");
    q.push(") ");
}

/// ` AND ` `column` is the filters' organisation, where they name one.
fn organisation_filter(q: &mut Sql, filters: &ReportFilters, column: &str) {
    if let Some(organisation) = &filters.organisation {
        q.push(&format!(" AND {column} = "));
        q.bind(organisation.to_string());
    }
}

/// ` AND ` the recommendation `r` is in the filters' report and has their
/// theme, where they name one.
fn recommendation_filters(q: &mut Sql, filters: &ReportFilters) {
    if let Some(report) = &filters.report {
        q.push(" AND r.report_slug = ");
        q.bind(report.to_string());
    }
    if let Some(theme) = &filters.theme {
        q.push(" AND EXISTS (SELECT 1 FROM recommendation_themes t WHERE t.recommendation_id = r.id AND t.theme = ");
        q.bind(theme.to_string());
        q.push(")");
    }
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
/// same columns (`part, organisation, status, decision, flag, days, n`), so
/// that the parts can be one statement. `flag` is the response clock of the
/// status part (`ResponseClock::code`), and whether the days of the days
/// parts are only a bound.
fn figures_part(
    q: &mut Sql,
    part: Part,
    as_of: NaiveDate,
    past: Option<Past>,
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
            // Core's `FlagInputs::response_clock`, stated in SQL.
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
                " THEN (CASE WHEN s.uncertain = 1 THEN {maybe_overdue} ELSE {overdue} END) \
                 WHEN s.first_response_on IS NULL THEN {running} \
                 WHEN s.first_response_on <= s.response_due_on THEN {on_time} \
                 WHEN s.first_response_bound = 1 THEN {maybe_late} \
                 ELSE {late} END AS {int64}) AS flag, {none} AS days, {count} \
                 FROM state s GROUP BY s.organisation, s.status, s.decision, 5",
                maybe_overdue = ResponseClock::MaybeOverdue.code(),
                overdue = ResponseClock::Overdue.code(),
                running = ResponseClock::Running.code(),
                on_time = ResponseClock::OnTime.code(),
                maybe_late = ResponseClock::MaybeLate.code(),
                late = ResponseClock::Late.code(),
            ));
        }
        Part::DaysToResponse | Part::DaysToVerification => {
            let (column, bound) = if part == Part::DaysToResponse {
                ("first_response_day", "first_response_bound")
            } else {
                ("verified_day", "verified_bound")
            };
            q.push(&format!(
                "NULL AS status, NULL AS decision, CAST(s.{bound} AS {int64}) AS flag, \
                 CAST(s.{column} - s.issued_day AS {int64}) AS days, {count} \
                 FROM state s GROUP BY s.organisation, 5, 6"
            ));
        }
        Part::OverdueMilestones => {
            // Of assignments not in a final status.
            q.push(&format!(
                "s.status, NULL AS decision, {none} AS flag, {none} AS days, {count} FROM state s "
            ));
            match past {
                None => {
                    q.push(&format!(
                        "JOIN milestones m ON m.assignment_id = s.id \
                         WHERE m.status IN ({open}) AND m.due_on < "
                    ));
                    q.bind(as_of);
                }
                Some(past) => {
                    q.push("JOIN milestone_states m ON m.assignment_id = s.id WHERE 1 = 1");
                    past.holds(q, "m");
                    q.push(&format!(" AND m.status IN ({open}) AND m.due_on < "));
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
        clock: ResponseClock::from_code(row.try_get::<i64>("", "flag")?)
            .ok_or_else(|| Error::Corrupt("status report response clock".to_owned()))?,
        days_to_response: None,
        days_to_verification: None,
        count: n,
    })
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use foldhash::{HashMap, HashMapExt};
    use rectrack_core::assignment::AssignmentStatus;
    use rectrack_core::status_report::Basis;

    use super::{Fields, count_states};
    use crate::convert::day_number;

    #[test]
    fn a_field_ends_at_a_space_and_the_last_of_a_state_at_a_comma() {
        let mut fields = Fields("a  b,c d");
        assert_eq!(fields.next(false), Some("a"));
        assert_eq!(fields.next(false), Some(""));
        // "b" ends its state: asked for as another field, it is refused
        // and left in place.
        assert_eq!(fields.next(false), None);
        assert_eq!(fields.next(true), Some("b"));
        assert_eq!(fields.next(true), None);
        assert_eq!(fields.next(false), Some("c"));
        assert_eq!(fields.next(true), Some("d"));
        assert!(fields.0.is_empty());
    }

    fn day(text: &str) -> i32 {
        day_number(text.parse::<NaiveDate>().unwrap())
    }

    #[test]
    fn states_are_counted_by_core_rules_and_their_overdue_milestones_joined() {
        let as_of: NaiveDate = "2025-06-01".parse().unwrap();
        let (issued, due) = (day("2025-01-01"), day("2025-02-26"));
        let states = [
            // Awaiting a response past its due day, the next change's day
            // a bound: overdue as recorded, maybe overdue as it happened.
            format!(
                "awaiting_response  {due} {issued}   0 0 1 {}",
                "A".repeat(32)
            ),
            // Accepted late, known only on or before: maybe late; two
            // overdue milestones.
            format!(
                "accepted accepted {due} {issued} {}  1 0 0 {}",
                due + 3,
                "B".repeat(32)
            ),
            // Verified: a final status owes no milestones.
            format!(
                "verified accepted {due} {issued} {} {} 0 0 0 {}",
                due - 1,
                due + 50,
                "C".repeat(32)
            ),
        ]
        .join(",");
        let mut overdue = HashMap::new();
        let (b, c) = ("B".repeat(32), "C".repeat(32));
        overdue.insert(b.as_str(), 2);
        overdue.insert(c.as_str(), 5);

        let recorded = count_states(&states, as_of, Basis::Recorded, &overdue).unwrap();
        let occurred = count_states(&states, as_of, Basis::Occurred, &overdue).unwrap();

        let (recorded, occurred) = (recorded.figures(), occurred.figures());
        assert_eq!(recorded.assignments, 3);
        assert_eq!(recorded.by_status[&AssignmentStatus::AwaitingResponse], 1);
        assert_eq!(recorded.by_status[&AssignmentStatus::Verified], 1);
        assert_eq!(recorded.response_overdue, 1);
        assert_eq!(recorded.responses_on_time, 1);
        assert_eq!(recorded.responses_late, 0);
        assert_eq!(recorded.response_timing_unknown, 1);
        assert_eq!(occurred.response_overdue, 0);
        assert_eq!(occurred.response_timing_unknown, 2);
        // Only the accepted assignment still owes its milestones.
        assert_eq!(recorded.overdue_milestones, 2);
        assert_eq!(recorded.days_to_response_unknown, 1);
        assert_eq!(recorded.median_days_to_response, Some(55.0));
        assert_eq!(recorded.median_days_to_verification, Some(106.0));
        assert_eq!(recorded.accepted_rate, Some(1.0));
    }

    #[test]
    fn a_state_text_that_does_not_parse_is_corrupt() {
        let overdue = HashMap::new();
        let as_of: NaiveDate = "2025-06-01".parse().unwrap();
        for text in [
            "adopted  20000 19000   0 0 0 ABCD",
            "accepted accepted 20000 19000   0 0 2 ABCD",
            "accepted accepted x 19000   0 0 0 ABCD",
            "accepted accepted 20000 19000   0 0 0",
            "accepted accepted 20000 19000   0 0 0 AB CD",
        ] {
            let error = count_states(text, as_of, Basis::Recorded, &overdue).unwrap_err();
            assert!(
                error.to_string().contains("assignment state text"),
                "{text}: {error}"
            );
        }
    }
}
