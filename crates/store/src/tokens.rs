//! API tokens: `rtk_` and 43 base64url characters (32 random bytes). Only
//! the SHA-256 of a token is stored; the token itself is returned once, when
//! created. Tokens are bound to one organisation and one role, and revoked
//! tokens are refused at once.

use base64::Engine as _;
use chrono::{DateTime, Utc};
use rectrack_core::audit::Action;
use rectrack_core::ids::TokenId;
use rectrack_core::organisation::OrgCode;
use rectrack_core::role::{Actor, Role};
use rectrack_core::text::Name;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use uuid::Uuid;

use crate::Store;
use crate::audit::append::EventDraft;
use crate::convert::{from_micros, from_wire, micros, wire};
use crate::entities::tokens;
use crate::error::{Error, Result, stored};
use crate::organisations::find;
use crate::page::{Page, PageRequest, after_time_id, time_id_key};
use crate::sql::Sql;
use crate::write::{Ctx, Written};

/// The prefix of every token.
pub const TOKEN_PREFIX: &str = "rtk_";
/// Don't rewrite `last_used_at` more often than this, so reads stay reads.
const LAST_USED_RESOLUTION_US: i64 = 60_000_000;

/// A token as listed: never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenRecord {
    /// Its id.
    pub id: TokenId,
    /// The organisation it acts for.
    pub organisation: OrgCode,
    /// What it may do.
    pub role: Role,
    /// A label to recognise it by.
    pub label: Option<Name>,
    /// When it was created.
    #[serde(with = "rectrack_core::time::utc_micros")]
    pub created_at: DateTime<Utc>,
    /// When it was revoked, if it was.
    #[serde(with = "rectrack_core::time::utc_micros_option")]
    pub revoked_at: Option<DateTime<Utc>>,
    /// When it was last used (to the minute).
    #[serde(with = "rectrack_core::time::utc_micros_option")]
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A token just created: the record, and the secret shown this once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedToken {
    /// The stored record.
    pub record: TokenRecord,
    /// The token to give the client.
    pub secret: String,
}

/// What a client asks for when creating a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenDraft {
    /// The organisation's code.
    pub organisation: String,
    /// The role.
    pub role: Role,
    /// An optional label.
    pub label: Option<String>,
}

impl Store {
    /// Creates a token. Overseer tokens only for oversight bodies, recipient
    /// tokens never for them (422).
    pub async fn create_token(
        &self,
        ctx: &Ctx<'_, CreatedToken>,
        draft: &TokenDraft,
    ) -> Result<Written<CreatedToken>> {
        self.write(ctx, async |tx| {
            tx.principal.require_overseer("create_token")?;
            let mut errors = rectrack_core::ValidationErrors::new();
            let organisation = find(tx.db().await?, &draft.organisation).await?;
            match &organisation {
                None => errors.add(
                    "organisation",
                    format!("no organisation has the code `{}`", draft.organisation),
                ),
                Some(o) if !draft.role.fits(o.kind) => errors.add(
                    "role",
                    format!(
                        "a {} token cannot belong to a {}",
                        draft.role.as_str(),
                        o.kind.as_str()
                    ),
                ),
                Some(_) => {}
            }
            let label = errors.check(
                "label",
                draft
                    .label
                    .as_deref()
                    .filter(|l| !l.trim().is_empty())
                    .map(Name::parse)
                    .transpose(),
            );
            errors.into_result()?;
            let (Some(organisation), Some(label)) = (organisation, label) else {
                return Err(Error::Corrupt("validated token fields vanished".to_owned()));
            };
            let secret = new_secret()?;
            let record = TokenRecord {
                id: TokenId::from_uuid(Uuid::new_v4()),
                organisation: organisation.code,
                role: draft.role,
                label,
                created_at: tx.now,
                revoked_at: None,
                last_used_at: None,
            };
            tx.insert(to_row(&record, &hash(&secret)))?;
            let event = EventDraft {
                action: Action::TokenCreated,
                entity_type: "token",
                entity_id: record.id.to_string(),
                payload: json!({ "token": record }),
                touches: vec![],
            };
            Ok((CreatedToken { record, secret }, event))
        })
        .await
    }

    /// Revokes a token; it is refused from the next request on.
    pub async fn revoke_token(
        &self,
        ctx: &Ctx<'_, TokenRecord>,
        id: TokenId,
    ) -> Result<Written<TokenRecord>> {
        self.write(ctx, async |tx| {
            tx.principal.require_overseer("revoke_token")?;
            let row = tokens::Entity::find_by_id(id.as_uuid())
                .one(tx.db().await?)
                .await?
                .ok_or_else(|| Error::not_found("token", id))?;
            let token_hash = row.token_hash.clone();
            let mut record = record(row)?;
            if record.revoked_at.is_some() {
                return Err(Error::Conflict("this token is already revoked".to_owned()));
            }
            record.revoked_at = Some(tx.now);
            tx.update(to_row(&record, &token_hash))?;
            let event = EventDraft {
                action: Action::TokenRevoked,
                entity_type: "token",
                entity_id: id.to_string(),
                payload: json!({ "token": record }),
                touches: vec![],
            };
            Ok((record, event))
        })
        .await
    }

    /// Tokens by creation, never with their secrets.
    pub async fn tokens(&self, page: &PageRequest) -> Result<Page<TokenRecord>> {
        let mut query = tokens::Entity::find()
            .order_by_asc(tokens::Column::CreatedAtUs)
            .order_by_asc(tokens::Column::Id);
        if let Some(after) = &page.after {
            query = query.filter(after_time_id(
                after,
                tokens::Column::CreatedAtUs,
                tokens::Column::Id,
            )?);
        }
        let rows = query.limit(page.limit() + 1).all(&self.db).await?;
        Page::from_rows(rows, page.limit(), |row| {
            time_id_key(row.created_at_us, row.id)
        })
        .try_map(record)
    }

    /// The token whose secret is `secret`, and the actor it stands for; none
    /// when unknown, malformed or revoked.
    pub async fn authenticate(&self, secret: &str) -> Result<Option<(TokenRecord, Actor)>> {
        if !well_formed(secret) {
            return Ok(None);
        }
        let digest = hash(secret);
        // The token and its organisation's kind in one query: this runs on
        // every authenticated request.
        let mut sql = Sql::new(self.backend);
        sql.push(
            "SELECT t.*, o.kind AS organisation_kind FROM tokens t \
             JOIN organisations o ON o.code = t.organisation WHERE t.token_hash = ",
        )
        .bind(digest.as_str());
        let Some(found) = self.db.query_one_raw(sql.build()).await? else {
            return Ok(None);
        };
        let row = tokens::Model::from_query_result(&found, "")?;
        let kind: String = found.try_get("", "organisation_kind")?;
        // The lookup was by hash; compare again without early exit.
        if !bool::from(row.token_hash.as_bytes().ct_eq(digest.as_bytes()))
            || row.revoked_at_us.is_some()
        {
            return Ok(None);
        }
        let now = micros(self.clock.now());
        if row
            .last_used_at_us
            .is_none_or(|last| now - last >= LAST_USED_RESOLUTION_US)
        {
            tokens::Entity::update_many()
                .col_expr(
                    tokens::Column::LastUsedAtUs,
                    sea_orm::sea_query::Expr::value(now),
                )
                .filter(tokens::Column::Id.eq(row.id))
                .exec(&self.db)
                .await?;
        }
        let record = record(row)?;
        let actor = Actor {
            organisation: record.organisation.clone(),
            organisation_kind: from_wire("organisations.kind", &kind)?,
            role: record.role,
        };
        Ok(Some((record, actor)))
    }
}

/// Whether `secret` looks like a token at all (so junk never reaches the database).
pub fn well_formed(secret: &str) -> bool {
    secret.strip_prefix(TOKEN_PREFIX).is_some_and(|rest| {
        rest.len() == 43
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

fn new_secret() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| Error::Corrupt(format!("no randomness available: {e}")))?;
    Ok(format!(
        "{TOKEN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    ))
}

fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

fn to_row(record: &TokenRecord, token_hash: &str) -> tokens::Model {
    tokens::Model {
        id: record.id.as_uuid(),
        token_hash: token_hash.to_owned(),
        organisation: record.organisation.to_string(),
        role: wire(&record.role),
        label: record.label.as_ref().map(ToString::to_string),
        created_at_us: micros(record.created_at),
        revoked_at_us: record.revoked_at.map(micros),
        last_used_at_us: record.last_used_at.map(micros),
    }
}

fn record(row: tokens::Model) -> Result<TokenRecord> {
    Ok(TokenRecord {
        id: TokenId::from_uuid(row.id),
        organisation: stored("tokens.organisation", OrgCode::parse(&row.organisation))?,
        role: from_wire("tokens.role", &row.role)?,
        label: stored(
            "tokens.label",
            row.label.as_deref().map(Name::parse).transpose(),
        )?,
        created_at: from_micros(row.created_at_us)?,
        revoked_at: row.revoked_at_us.map(from_micros).transpose()?,
        last_used_at: row.last_used_at_us.map(from_micros).transpose()?,
    })
}
