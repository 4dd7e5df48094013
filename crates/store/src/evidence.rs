//! Evidence items. A document is streamed into a temporary object first
//! ([`BlobStore::stage`](crate::BlobStore::stage)); [`Store::add_document`]
//! writes its row and publishes the bytes only once the row has committed,
//! removing them if it did not. Evidence is never changed or deleted.

use rectrack_core::audit::Action;
use rectrack_core::evidence::{
    Evidence, EvidenceContent, EvidenceDraft, HttpUrl, MediaType, SafeFilename, Sha256Hex,
};
use rectrack_core::ids::{AssignmentId, EvidenceId};
use rectrack_core::lifecycle::{self, Command};
use rectrack_core::organisation::OrgCode;
use rectrack_core::role::{Actor, Principal};
use rectrack_core::text::{LongText, Title};
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;
use uuid::Uuid;

use crate::Store;
use crate::assignments::{authorise, check_version, load, summary};
use crate::audit::append::{EventDraft, Touch};
use crate::blobs::Staged;
use crate::convert::{from_micros, micros, wire};
use crate::entities::{assignments, evidence};
use crate::error::{Error, Result, stored};
use crate::write::{Ctx, Written};

impl Store {
    /// Adds an evidence item to an assignment. A document's bytes must
    /// already be published; see [`add_document`](Self::add_document).
    pub async fn add_evidence(
        &self,
        ctx: &Ctx<'_, Evidence>,
        id: AssignmentId,
        expected_version: Option<i64>,
        draft: &EvidenceDraft,
    ) -> Result<Written<Evidence>> {
        self.insert_evidence(ctx, id, expected_version, draft, None, false)
            .await
    }

    /// Adds a statement or link that a backfilled claim cites, entered by
    /// the overseer (or the console) on the recipient's behalf, as an import
    /// enters a claim from the record. Only the overseer may
    /// (`lifecycle::decide_backfill`); the item is the recipient's.
    pub async fn add_evidence_on_record(
        &self,
        ctx: &Ctx<'_, Evidence>,
        id: AssignmentId,
        expected_version: Option<i64>,
        draft: &EvidenceDraft,
    ) -> Result<Written<Evidence>> {
        draft.check_from_record()?;
        self.insert_evidence(ctx, id, expected_version, draft, None, true)
            .await
    }

    /// Adds a document whose bytes are `upload`, publishing them if the row
    /// commits and removing them if it does not. Should publishing fail
    /// after the commit, the upload stays staged under its hash and
    /// `rectrack blobs gc` publishes it.
    pub async fn add_document(
        &self,
        ctx: &Ctx<'_, Evidence>,
        id: AssignmentId,
        expected_version: Option<i64>,
        draft: &EvidenceDraft,
        upload: &Staged,
    ) -> Result<Written<Evidence>> {
        let written = self
            .insert_evidence(ctx, id, expected_version, draft, Some(upload), false)
            .await;
        match &written {
            Ok(_) => {
                if let Err(e) = self.blobs.publish(upload).await {
                    tracing::error!(error = %e, sha256 = %upload.blob.sha256,
                        "an evidence row committed but its upload was not published; `rectrack blobs gc --delete` publishes it");
                }
            }
            Err(_) => self.blobs.discard(upload).await,
        }
        written
    }

    /// Whether `principal` may add evidence to assignment `id` now, asked
    /// before an upload is read so that a refused caller costs no disk.
    /// The write asks again, in its transaction.
    pub async fn may_add_evidence(&self, principal: &Principal, id: AssignmentId) -> Result<()> {
        let record = self.assignment(id).await?;
        let actor = principal.require_actor(Command::AddEvidence.name())?;
        let assignment = &record.assignment;
        lifecycle::decide(
            assignment.status,
            &assignment.organisation,
            actor,
            Command::AddEvidence,
        )?;
        Ok(())
    }

    async fn insert_evidence(
        &self,
        ctx: &Ctx<'_, Evidence>,
        id: AssignmentId,
        expected_version: Option<i64>,
        draft: &EvidenceDraft,
        upload: Option<&Staged>,
        on_record: bool,
    ) -> Result<Written<Evidence>> {
        self.write(ctx, async |tx| {
            let mut held = load(tx, id).await?;
            let transition = if on_record {
                let transition = lifecycle::decide_backfill(
                    held.assignment.status,
                    tx.principal,
                    Command::AddEvidence,
                )?;
                check_version(&held.assignment, expected_version)?;
                transition
            } else {
                authorise(tx, &held.assignment, Command::AddEvidence, expected_version)?
            };
            let parts = draft.parse()?;
            if let EvidenceContent::Document { sha256, .. } = &parts.content
                && !match upload {
                    Some(staged) => staged.blob.sha256 == *sha256,
                    None => self.blobs.contains(sha256).await?,
                }
            {
                return Err(Error::invalid("sha256", "no uploaded file has this hash"));
            }
            let submitted_by = if on_record {
                held.assignment.organisation.clone()
            } else {
                tx.principal
                    .require_actor("add_evidence")?
                    .organisation
                    .clone()
            };
            let item = Evidence {
                id: EvidenceId::from_uuid(Uuid::new_v4()),
                assignment_id: id,
                title: parts.title,
                description: parts.description,
                content: parts.content,
                submitted_at: tx.now,
                submitted_by,
            };
            tx.insert(to_row(&item))?;
            held.assignment.apply_undated(&transition);
            let assignment = held.save(tx)?;
            let event = EventDraft {
                action: Action::EvidenceAdded,
                entity_type: "evidence",
                entity_id: item.id.to_string(),
                payload: json!({ "assignment": summary(&assignment), "evidence": item }),
                touches: vec![Touch::of(id.as_uuid())],
            };
            Ok((item, event))
        })
        .await
    }

    /// One evidence item that `actor` may see: one query whether the id is
    /// unknown or belongs to an organisation the actor may not see, so that
    /// neither the answer (404) nor its cost tells the two apart.
    pub async fn evidence_seen_by(&self, actor: &Actor, id: EvidenceId) -> Result<Evidence> {
        let mut query = evidence::Entity::find_by_id(id.as_uuid());
        if !actor.sees_everything() {
            query = query.filter(
                evidence::Column::AssignmentId.in_subquery(
                    Query::select()
                        .column(assignments::Column::Id)
                        .from(assignments::Entity)
                        .and_where(
                            assignments::Column::Organisation.eq(actor.organisation.as_str()),
                        )
                        .to_owned(),
                ),
            );
        }
        query
            .one(&self.db)
            .await?
            .map(item)
            .transpose()?
            .ok_or_else(|| Error::not_found("evidence", id))
    }

    /// An assignment's evidence, oldest first.
    pub async fn evidence_of(&self, id: AssignmentId) -> Result<Vec<Evidence>> {
        of_assignment(&self.db, id).await
    }

    /// The SHA-256 of every stored document: the blobs to keep.
    pub async fn referenced_blobs(&self) -> Result<std::collections::HashSet<String>> {
        Ok(evidence::Entity::find()
            .filter(evidence::Column::Sha256.is_not_null())
            .all(&self.db)
            .await?
            .into_iter()
            .filter_map(|row| row.sha256)
            .collect())
    }
}

/// The ids of an assignment's evidence.
pub(crate) async fn ids_of(db: &impl ConnectionTrait, id: AssignmentId) -> Result<Vec<EvidenceId>> {
    Ok(of_assignment(db, id)
        .await?
        .into_iter()
        .map(|e| e.id)
        .collect())
}

/// The evidence items of `ids` that exist, in one query per 500.
pub(crate) async fn by_ids(db: &impl ConnectionTrait, ids: &[EvidenceId]) -> Result<Vec<Evidence>> {
    let mut found = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let rows = evidence::Entity::find()
            .filter(evidence::Column::Id.is_in(chunk.iter().map(|id| id.as_uuid())))
            .all(db)
            .await?;
        for row in rows {
            found.push(item(row)?);
        }
    }
    Ok(found)
}

async fn of_assignment(db: &impl ConnectionTrait, id: AssignmentId) -> Result<Vec<Evidence>> {
    evidence::Entity::find()
        .filter(evidence::Column::AssignmentId.eq(id.as_uuid()))
        .order_by_asc(evidence::Column::SubmittedAtUs)
        .order_by_asc(evidence::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(item)
        .collect()
}

fn to_row(item: &Evidence) -> evidence::Model {
    let mut row = evidence::Model {
        id: item.id.as_uuid(),
        assignment_id: item.assignment_id.as_uuid(),
        kind: wire(&item.content.kind()),
        title: item.title.to_string(),
        description: item.description.as_ref().map(ToString::to_string),
        filename: None,
        media_type: None,
        size_bytes: None,
        sha256: None,
        url: None,
        statement_text: None,
        submitted_at_us: micros(item.submitted_at),
        submitted_by: item.submitted_by.to_string(),
    };
    match &item.content {
        EvidenceContent::Document {
            filename,
            media_type,
            size_bytes,
            sha256,
        } => {
            row.filename = Some(filename.to_string());
            row.media_type = Some(media_type.to_string());
            row.size_bytes = Some(i64::try_from(*size_bytes).unwrap_or(i64::MAX));
            row.sha256 = Some(sha256.to_string());
        }
        EvidenceContent::Link { url } => row.url = Some(url.to_string()),
        EvidenceContent::Statement { text } => row.statement_text = Some(text.to_string()),
    }
    row
}

fn item(row: evidence::Model) -> Result<Evidence> {
    let missing = |column: &str| Error::Corrupt(format!("evidence.{column} is missing"));
    let content = match row.kind.as_str() {
        "document" => EvidenceContent::Document {
            filename: stored(
                "evidence.filename",
                SafeFilename::parse(row.filename.as_deref().ok_or_else(|| missing("filename"))?),
            )?,
            media_type: stored(
                "evidence.media_type",
                MediaType::parse(
                    row.media_type
                        .as_deref()
                        .ok_or_else(|| missing("media_type"))?,
                ),
            )?,
            size_bytes: u64::try_from(row.size_bytes.ok_or_else(|| missing("size_bytes"))?)
                .map_err(|_| missing("size_bytes"))?,
            sha256: stored(
                "evidence.sha256",
                Sha256Hex::parse(row.sha256.as_deref().ok_or_else(|| missing("sha256"))?),
            )?,
        },
        "link" => EvidenceContent::Link {
            url: stored(
                "evidence.url",
                HttpUrl::parse(row.url.as_deref().ok_or_else(|| missing("url"))?),
            )?,
        },
        "statement" => EvidenceContent::Statement {
            text: stored(
                "evidence.statement_text",
                LongText::parse(
                    row.statement_text
                        .as_deref()
                        .ok_or_else(|| missing("statement_text"))?,
                ),
            )?,
        },
        other => {
            return Err(Error::Corrupt(format!(
                "evidence.kind `{other}` is unknown"
            )));
        }
    };
    Ok(Evidence {
        id: EvidenceId::from_uuid(row.id),
        assignment_id: AssignmentId::from_uuid(row.assignment_id),
        title: stored("evidence.title", Title::parse(&row.title))?,
        description: stored(
            "evidence.description",
            row.description.as_deref().map(LongText::parse).transpose(),
        )?,
        content,
        submitted_at: from_micros(row.submitted_at_us)?,
        submitted_by: stored("evidence.submitted_by", OrgCode::parse(&row.submitted_by))?,
    })
}
