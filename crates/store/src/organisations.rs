//! Organisations: created by the overseer (or the console), read by anyone.

use std::collections::HashMap;

use rectrack_core::audit::Action;
use rectrack_core::organisation::{OrgCode, Organisation, OrganisationDraft, OrganisationKind};
use rectrack_core::text::Name;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::json;

use crate::Store;
use crate::audit::append::EventDraft;
use crate::convert::{from_wire, micros, wire};
use crate::entities::organisations;
use crate::error::{Error, Result, stored};
use crate::page::{Page, PageRequest};
use crate::write::{Ctx, Written};

impl Store {
    /// Creates an organisation; its code must be free (409).
    pub async fn create_organisation(
        &self,
        ctx: &Ctx<'_, Organisation>,
        draft: &OrganisationDraft,
    ) -> Result<Written<Organisation>> {
        self.write(ctx, async |tx| {
            tx.principal.require_overseer("create_organisation")?;
            let organisation = draft.parse()?;
            if find(tx.db().await?, organisation.code.as_str())
                .await?
                .is_some()
            {
                return Err(Error::Conflict(format!(
                    "an organisation with code `{}` already exists",
                    organisation.code
                )));
            }
            tx.insert(organisations::Model {
                code: organisation.code.to_string(),
                name: organisation.name.to_string(),
                kind: wire(&organisation.kind),
                created_at_us: micros(tx.now),
            })?;
            let event = EventDraft {
                action: Action::OrganisationCreated,
                entity_type: "organisation",
                entity_id: organisation.code.to_string(),
                payload: json!({ "organisation": organisation }),
                touches: vec![],
            };
            Ok((organisation, event))
        })
        .await
    }

    /// One organisation by code (404 if none).
    pub async fn organisation(&self, code: &str) -> Result<Organisation> {
        find(&self.db, code)
            .await?
            .ok_or_else(|| Error::not_found("organisation", code))
    }

    /// Organisations in code order.
    pub async fn organisations(&self, page: &PageRequest) -> Result<Page<Organisation>> {
        let mut query = organisations::Entity::find().order_by_asc(organisations::Column::Code);
        if let Some(after) = &page.after {
            query = query.filter(organisations::Column::Code.gt(after.as_str()));
        }
        let rows = query.limit(page.limit() + 1).all(&self.db).await?;
        Page::from_rows(rows, page.limit(), |row| row.code.clone()).try_map(organisation)
    }
}

/// The organisation with `code`, if any.
pub(crate) async fn find(db: &impl ConnectionTrait, code: &str) -> Result<Option<Organisation>> {
    organisations::Entity::find_by_id(code.to_owned())
        .one(db)
        .await?
        .map(organisation)
        .transpose()
}

/// The kind of the organisation with `code`, if it exists.
pub(crate) async fn kind_of(
    db: &impl ConnectionTrait,
    code: &str,
) -> Result<Option<OrganisationKind>> {
    Ok(find(db, code).await?.map(|o| o.kind))
}

/// The kinds of the organisations among `codes` that exist.
pub(crate) async fn kinds_of(
    db: &impl ConnectionTrait,
    codes: &[&str],
) -> Result<HashMap<String, OrganisationKind>> {
    let mut kinds = HashMap::new();
    for row in organisations::Entity::find()
        .filter(organisations::Column::Code.is_in(codes.iter().copied()))
        .all(db)
        .await?
    {
        let kind = from_wire("organisations.kind", &row.kind)?;
        kinds.insert(row.code, kind);
    }
    Ok(kinds)
}

fn organisation(row: organisations::Model) -> Result<Organisation> {
    Ok(Organisation {
        code: stored("organisations.code", OrgCode::parse(&row.code))?,
        name: stored("organisations.name", Name::parse(&row.name))?,
        kind: from_wire("organisations.kind", &row.kind)?,
    })
}
