//! The live status report reads narrow indexes for its lines and, on SQLite,
//! tallies kept as states change for its figures.
//!
//! **Lines.** Each recommendation's line lists its recipients' statuses. The
//! report read them by joining `recommendations` (wide rows: the body) to
//! `assignments` (wide rows too) and visiting both tables for every
//! assignment. Two indexes hold what a line needs: the recommendations in
//! report order with their ids and titles, and each recommendation's
//! recipients with their statuses.
//!
//! **Figures on SQLite.** SQLite runs a statement's parts one after another
//! on one core, and counting 100,000 assignments four ways (by status and
//! response clock, two histograms of days, overdue milestones with their
//! assignments) took 220–300 ms however the indexes were laid out. Here the
//! counts are kept as they change: `report_tallies` holds, per organisation,
//! how many assignments are in each combination of what the figures read
//! (status, decision, whether and when the first response came and whether
//! that day is a bound, the due day while unanswered), the histograms of
//! days to the first response and to verification, and the milestones by
//! the assignment's status, the milestone's status and its due day. The
//! rules (which statuses owe a response or milestones, which milestones are
//! open, what is overdue on the day asked about) stay in the report's query,
//! which reads these few thousand rows instead of every assignment.
//!
//! The tallies are a function of the open states (`assignment_states` and
//! `milestone_states` whose `to_us` is open): triggers add a state's share
//! when it begins and take it away when it ends, so every path that keeps
//! states (commands, `rectrack copy`) keeps the tallies too, in the same
//! transaction. A combination whose count falls to zero is deleted.
//!
//! One assumption of the lifecycle is built in: an assignment that has
//! responded no longer owes a response, so the due day is kept only while
//! there is no first response (which keeps the combinations few).
//!
//! PostgreSQL runs the four parts side by side and meets the report's
//! targets by counting (`docs/benchmarks.md`); there, as on MariaDB, a large
//! transaction (an import) would update the same few tally rows hundreds of
//! thousands of times, and each update of a row walks its versions within
//! the transaction (as the chain's head did, `m20261203_000007`). So the
//! tallies are SQLite's alone.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::columns::index;
use crate::m20261202_000006_state_intervals::OPEN_US;

/// Indexes for the lines; on SQLite, the tallies.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// Each recommendation's recipients and their statuses, in order.
const RECIPIENTS: [&str; 3] = ["recommendation_id", "organisation", "status"];
/// The recommendations in report order, with what a line shows.
const LINES: [&str; 4] = ["report_slug", "number", "id", "title"];

/// The columns that make a tally's key, in key order. The parts are named
/// as the report's statement names its parts (`Part::name` in the store's
/// `status.rs`).
const KEY: &str = "part, organisation, status, decision, answered, bound, days, due_on";

/// Stands for "no day" in `due_on`: later than any day asked about.
const NO_DAY: &str = "'9999-12-31'";

/// The shares of assignment states in the tallies, each a `SELECT` of the
/// columns of [`KEY`] and `n`: one in the `status` part, one in `response`
/// if it has responded, one in `verified` if it is verified, and one in
/// `milestones` per open milestone state of the assignment. `a` is the
/// state: a trigger's `NEW` or `OLD` (with no `from`), or an alias that
/// `from` and `filter` select. `milestones` is the `FROM` of `m`, the
/// milestone states of `a` (with `a` itself if it is an alias), ending in
/// a `WHERE` condition; the open ones are chosen here.
fn shares(a: &str, from: &str, filter: &str, milestones: &str, n: i32) -> [String; 4] {
    let open = OPEN_US;
    let from = if from.is_empty() {
        String::new()
    } else {
        format!(" FROM {from}")
    };
    let bound = |column: &str| format!("CASE WHEN {a}.{column} THEN 1 ELSE 0 END");
    [
        format!(
            "SELECT 'status' AS part, {a}.organisation AS organisation, {a}.status AS status, \
             COALESCE({a}.decision, '') AS decision, \
             CASE WHEN {a}.first_response_on IS NULL THEN 0 \
             WHEN {a}.first_response_on <= {a}.response_due_on THEN 1 ELSE 2 END AS answered, \
             {} AS bound, 0 AS days, \
             CASE WHEN {a}.first_response_on IS NULL THEN {a}.response_due_on ELSE {NO_DAY} END AS due_on, \
             {n} AS n{from} WHERE {filter}",
            bound("first_response_bound")
        ),
        format!(
            "SELECT 'response', {a}.organisation, '', '', 0, {}, \
             {a}.first_response_day - {a}.issued_day, {NO_DAY}, {n}{from} \
             WHERE {filter} AND {a}.first_response_day IS NOT NULL",
            bound("first_response_bound")
        ),
        format!(
            "SELECT 'verified', {a}.organisation, '', '', 0, {}, \
             {a}.verified_day - {a}.issued_day, {NO_DAY}, {n}{from} \
             WHERE {filter} AND {a}.verified_day IS NOT NULL",
            bound("verified_bound")
        ),
        format!(
            "SELECT 'milestones', {a}.organisation, {a}.status, m.status, 0, 0, 0, m.due_on, {n} \
             FROM {milestones} AND m.to_us = {open}"
        ),
    ]
}

/// Adds the `n` of a `select` of [`KEY`] and `n` to the tallies, row by
/// row (a key met twice is added to twice).
fn add(select: &str) -> String {
    format!(
        "INSERT INTO report_tallies ({KEY}, n) {select} \
         ON CONFLICT ({KEY}) DO UPDATE SET n = report_tallies.n + excluded.n"
    )
}

/// A trigger's body: the `shares` added in turn, then, when `forget`,
/// the combinations left empty deleted.
fn body(shares: &[String], forget: bool) -> String {
    let mut body: Vec<String> = shares.iter().map(|share| add(share)).collect();
    if forget {
        body.push(FORGET_EMPTY.to_owned());
    }
    body.join("; ")
}

/// Deletes the combinations no state has any more.
const FORGET_EMPTY: &str = "DELETE FROM report_tallies WHERE n = 0";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(index("assignments", &RECIPIENTS))
            .await?;
        manager
            .create_index(index("recommendations", &LINES))
            .await?;
        if manager.get_database_backend() != DbBackend::Sqlite {
            return Ok(());
        }
        let open = OPEN_US;
        let db = manager.get_connection();
        for statement in [
            format!(
                "CREATE TABLE report_tallies (part varchar(16) NOT NULL, organisation varchar(64) NOT NULL, \
                 status varchar(32) NOT NULL, decision varchar(32) NOT NULL, answered integer NOT NULL, \
                 bound integer NOT NULL, days integer NOT NULL, due_on date_text NOT NULL, \
                 n integer NOT NULL, PRIMARY KEY ({KEY})) WITHOUT ROWID"
            ),
            "CREATE INDEX ix_report_tallies_empty ON report_tallies (n) WHERE n = 0".to_owned(),
            // The milestones of an assignment whose state begins or ends.
            "CREATE INDEX ix_milestone_states_assignment_id_to_us ON milestone_states (assignment_id, to_us)"
                .to_owned(),
            // Counted from the open states, all at once.
            format!(
                "INSERT INTO report_tallies ({KEY}, n) SELECT {KEY}, SUM(n) FROM ({}) s \
                 WHERE true GROUP BY {KEY}",
                shares(
                    "a",
                    "assignment_states a",
                    &format!("a.to_us = {open}"),
                    &format!(
                        "assignment_states a JOIN milestone_states m ON m.assignment_id = a.assignment_id \
                         WHERE a.to_us = {open}"
                    ),
                    1
                )
                .join(" UNION ALL ")
            ),
            format!(
                "CREATE TRIGGER report_tallies_state_begins AFTER INSERT ON assignment_states \
                 WHEN NEW.to_us = {open} BEGIN {}; END",
                body(&assignment_shares("NEW", 1), false)
            ),
            // An update that ends a state changes only its interval's end:
            // OLD holds the state as it was.
            format!(
                "CREATE TRIGGER report_tallies_state_ends AFTER UPDATE OF to_us ON assignment_states \
                 WHEN OLD.to_us = {open} AND NEW.to_us <> {open} BEGIN {}; END",
                body(&assignment_shares("OLD", -1), true)
            ),
            format!(
                "CREATE TRIGGER report_tallies_milestone_begins AFTER INSERT ON milestone_states \
                 WHEN NEW.to_us = {open} BEGIN {}; END",
                body(&[milestone_share("NEW", 1)], false)
            ),
            format!(
                "CREATE TRIGGER report_tallies_milestone_ends AFTER UPDATE OF to_us ON milestone_states \
                 WHEN OLD.to_us = {open} AND NEW.to_us <> {open} BEGIN {}; END",
                body(&[milestone_share("OLD", -1)], true)
            ),
        ] {
            db.execute_unprepared(&statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Sqlite {
            let db = manager.get_connection();
            for statement in [
                "DROP TRIGGER report_tallies_milestone_ends",
                "DROP TRIGGER report_tallies_milestone_begins",
                "DROP TRIGGER report_tallies_state_ends",
                "DROP TRIGGER report_tallies_state_begins",
                "DROP INDEX ix_milestone_states_assignment_id_to_us",
                "DROP TABLE report_tallies",
            ] {
                db.execute_unprepared(statement).await?;
            }
        }
        for (table, columns) in [
            ("recommendations", &LINES[..]),
            ("assignments", &RECIPIENTS[..]),
        ] {
            manager
                .drop_index(
                    Index::drop()
                        .name(format!("ix_{table}_{}", columns.join("_")))
                        .table(table)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

/// The shares of the assignment state `row` (`NEW` or `OLD`), `n` each.
fn assignment_shares(row: &str, n: i32) -> [String; 4] {
    shares(
        row,
        "",
        "true",
        &format!("milestone_states m WHERE m.assignment_id = {row}.assignment_id"),
        n,
    )
}

/// The share of the milestone state `row` (`NEW` or `OLD`), `n`: counted
/// with the open state of its assignment, if there is one.
fn milestone_share(row: &str, n: i32) -> String {
    let open = OPEN_US;
    format!(
        "SELECT 'milestones', a.organisation, a.status, {row}.status, 0, 0, 0, {row}.due_on, {n} \
         FROM assignment_states a WHERE a.assignment_id = {row}.assignment_id AND a.to_us = {open}"
    )
}
