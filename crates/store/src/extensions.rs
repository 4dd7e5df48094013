//! Extension requests: the recipient asks for a later response due day
//! before it passes; the overseer grants (moving the due day) or refuses.

use rectrack_core::audit::Action;
use rectrack_core::deadline::{
    ExtensionDecisionDraft, ExtensionDraft, ExtensionRequest, ExtensionStatus,
};
use rectrack_core::ids::{AssignmentId, ExtensionRequestId};
use rectrack_core::lifecycle::Command;
use rectrack_core::occurrence::OccurrenceDraft;
use rectrack_core::organisation::OrgCode;
use rectrack_core::text::LongText;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;
use uuid::Uuid;

use crate::Store;
use crate::assignments::{authorise_fact, load, summary};
use crate::audit::append::{EventDraft, Touch};
use crate::convert::{from_micros, from_wire, micros, occurrence, occurrence_json, wire};
use crate::entities::extension_requests;
use crate::error::{Error, Result, stored};
use crate::write::{Ctx, Written};

impl Store {
    /// Asks for a later response due day, as asked when `occurred` says.
    pub async fn request_extension(
        &self,
        ctx: &Ctx<'_, ExtensionRequest>,
        id: AssignmentId,
        expected_version: Option<i64>,
        draft: &ExtensionDraft,
        occurred: &OccurrenceDraft,
    ) -> Result<Written<ExtensionRequest>> {
        self.write(ctx, async |tx| {
            let mut held = load(tx, id).await?;
            let (transition, occurrence) = authorise_fact(
                tx,
                &held.assignment,
                Command::RequestExtension,
                expected_version,
                occurred,
            )?;
            let pending = extension_requests::Entity::find()
                .filter(extension_requests::Column::AssignmentId.eq(id.as_uuid()))
                .filter(extension_requests::Column::Status.eq(wire(&ExtensionStatus::Pending)))
                .one(tx.db().await?)
                .await?
                .is_some();
            let ask = draft.parse(
                held.assignment.response_due_on,
                occurrence.occurred_on,
                pending,
            )?;
            // A backfill is entered by the overseer; the request is the
            // recipient's.
            let requested_by = held.assignment.organisation.clone();
            let request = ExtensionRequest {
                id: ExtensionRequestId::from_uuid(Uuid::new_v4()),
                assignment_id: id,
                requested_due_on: ask.requested_due_on,
                reason: ask.reason,
                status: ExtensionStatus::Pending,
                requested_at: tx.now,
                requested_by,
                decision_comment: None,
                decided_at: None,
                occurred: occurrence.clone(),
                decision_occurred: None,
            };
            tx.insert(to_row(&request, None))?;
            held.assignment.apply(&transition, &occurrence);
            let assignment = held.save(tx)?;
            let event = EventDraft {
                action: Action::ExtensionRequested,
                entity_type: "assignment",
                entity_id: id.to_string(),
                payload: json!({
                    "assignment": summary(&assignment),
                    "extension_request": request,
                }),
                touches: vec![Touch::of(id.as_uuid()).occurred(&occurrence)],
            };
            Ok((request, event))
        })
        .await
    }

    /// Grants or refuses a pending extension request, as decided when
    /// `occurred` says.
    pub async fn decide_extension(
        &self,
        ctx: &Ctx<'_, ExtensionRequest>,
        id: AssignmentId,
        request_id: ExtensionRequestId,
        expected_version: Option<i64>,
        draft: &ExtensionDecisionDraft,
        occurred: &OccurrenceDraft,
    ) -> Result<Written<ExtensionRequest>> {
        self.write(ctx, async |tx| {
            let mut held = load(tx, id).await?;
            let (transition, occurrence) = authorise_fact(
                tx,
                &held.assignment,
                Command::DecideExtension,
                expected_version,
                occurred,
            )?;
            let stored_row = extension_requests::Entity::find_by_id(request_id.as_uuid())
                .one(tx.db().await?)
                .await?
                .filter(|r| r.assignment_id == id.as_uuid())
                .ok_or_else(|| Error::not_found("extension request", request_id))?;
            let mut request = request(stored_row)?;
            let due_before = held.assignment.response_due_on;
            let decision = draft.decide(&request, due_before)?;
            // The console, entering the record, is no organisation.
            let decided_by = tx.principal.actor().map(|a| a.organisation.clone());
            held.assignment
                .decide_extension(&transition, &decision, &occurrence);
            request.record(decision, tx.now, occurrence.clone());
            tx.update(to_row(&request, decided_by.as_ref()))?;
            let assignment = held.save(tx)?;
            let moved = assignment.response_due_on != due_before;
            let event = EventDraft {
                action: Action::extension_decided(request.status == ExtensionStatus::Granted),
                entity_type: "assignment",
                entity_id: id.to_string(),
                payload: json!({
                    "assignment": summary(&assignment),
                    "extension_request": request,
                }),
                touches: vec![
                    Touch {
                        response_due_on: moved.then_some(assignment.response_due_on),
                        ..Touch::of(id.as_uuid())
                    }
                    .occurred(&occurrence),
                ],
            };
            Ok((request, event))
        })
        .await
    }

    /// An assignment's extension requests, oldest first.
    pub async fn extension_requests(&self, id: AssignmentId) -> Result<Vec<ExtensionRequest>> {
        list(&self.db, id).await
    }
}

async fn list(db: &impl ConnectionTrait, id: AssignmentId) -> Result<Vec<ExtensionRequest>> {
    extension_requests::Entity::find()
        .filter(extension_requests::Column::AssignmentId.eq(id.as_uuid()))
        .order_by_asc(extension_requests::Column::RequestedAtUs)
        .all(db)
        .await?
        .into_iter()
        .map(request)
        .collect()
}

fn to_row(request: &ExtensionRequest, decided_by: Option<&OrgCode>) -> extension_requests::Model {
    extension_requests::Model {
        id: request.id.as_uuid(),
        assignment_id: request.assignment_id.as_uuid(),
        requested_due_on: request.requested_due_on,
        reason: request.reason.to_string(),
        status: wire(&request.status),
        requested_at_us: micros(request.requested_at),
        requested_by: request.requested_by.to_string(),
        decision_comment: request.decision_comment.as_ref().map(ToString::to_string),
        decided_at_us: request.decided_at.map(micros),
        decided_by: decided_by.map(ToString::to_string),
        occurred: occurrence_json(&request.occurred),
        decision_occurred: request.decision_occurred.as_ref().and_then(occurrence_json),
    }
}

pub(crate) fn request(row: extension_requests::Model) -> Result<ExtensionRequest> {
    let requested_at = from_micros(row.requested_at_us)?;
    let decided_at = row.decided_at_us.map(from_micros).transpose()?;
    Ok(ExtensionRequest {
        occurred: occurrence(
            "extension_requests.occurred",
            row.occurred.as_deref(),
            requested_at,
        )?,
        decision_occurred: decided_at
            .map(|at| {
                occurrence(
                    "extension_requests.decision_occurred",
                    row.decision_occurred.as_deref(),
                    at,
                )
            })
            .transpose()?,
        id: ExtensionRequestId::from_uuid(row.id),
        assignment_id: AssignmentId::from_uuid(row.assignment_id),
        requested_due_on: row.requested_due_on,
        reason: stored("extension_requests.reason", LongText::parse(&row.reason))?,
        status: from_wire("extension_requests.status", &row.status)?,
        requested_at,
        requested_by: stored(
            "extension_requests.requested_by",
            OrgCode::parse(&row.requested_by),
        )?,
        decision_comment: stored(
            "extension_requests.decision_comment",
            row.decision_comment
                .as_deref()
                .map(LongText::parse)
                .transpose(),
        )?,
        decided_at,
    })
}
