//! People: invitations, passwords, second factors, sessions and throttling.
//!
//! Core says what the rules are (`rectrack_core::person`); this module keeps
//! the secrets. Passwords are stored as Argon2id PHC strings; invitation
//! links, session cookies and recovery codes are random and stored only as
//! their SHA-256; a TOTP secret is kept in base32 because a code is checked
//! against it. Hashing a password is slow on purpose, so it happens before a
//! write takes the chain lock, never under it; the write then checks that
//! what was read has not changed meanwhile.
//!
//! Every change to an account is a write with its audit event (invitations,
//! activation, sign-in and sign-out, password and second-factor changes,
//! disabling). What is not a change to the record — a session's last-seen
//! time, a failed sign-in counted for throttling — is written beside the
//! chain, as a token's `last_used_at` is.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use rectrack_core::audit::Action;
use rectrack_core::ids::PersonId;
use rectrack_core::organisation::OrgCode;
use rectrack_core::person::{
    self, Email, Person, PersonState, RECOVERY_CODES, THROTTLE_WINDOW, check_password,
};
use rectrack_core::role::{Actor, Principal, Role};
use rectrack_core::text::Name;
use rectrack_core::{Refusal, ValidationErrors};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::Store;
use crate::audit::append::EventDraft;
use crate::convert::{from_micros, from_wire, micros, wire};
use crate::entities::{people, sessions, sign_in_failures};
use crate::error::{Error, Result, stored};
use crate::organisations::find;
use crate::page::{Page, PageRequest, after_time_id, time_id_key};
use crate::sql::Sql;
use crate::write::{Ctx, Written};

/// The prefix of an invitation's secret, as it appears in its link.
pub const INVITATION_PREFIX: &str = "inv_";

/// Don't rewrite a session's `last_seen_at` more often than this.
const LAST_SEEN_RESOLUTION: Duration = Duration::seconds(60);

/// A TOTP code: six digits, a new one every 30 seconds (RFC 6238's SHA-1
/// profile, which every authenticator app reads).
const TOTP_DIGITS: u8 = 6;
const TOTP_STEP: u64 = 30;

/// What an overseer asks for when inviting someone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonDraft {
    /// The organisation's code.
    pub organisation: String,
    /// The role.
    pub role: Role,
    /// The address the person will sign in with.
    pub email: String,
    /// The person's name.
    pub name: String,
}

/// An invitation just made: the account, and the link's secret shown this once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    /// The account, `invited`.
    pub person: Person,
    /// The secret of the one-time link (`inv_` and 43 base64url characters).
    pub secret: String,
    /// When the link stops working.
    pub expires_at: DateTime<Utc>,
}

/// How far a session has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// The password was right; a code from the second factor is still owed.
    SecondFactor,
    /// Signed in, but the role requires a second factor and none is set up:
    /// setting one up is all the session may do.
    Enrol,
    /// Signed in.
    Complete,
}

/// A live session and the person it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The person.
    pub person: Person,
    /// The person's organisation and role.
    pub actor: Actor,
    /// How far sign-in has come.
    pub stage: Stage,
    /// The token every form of this session must carry: derived from the
    /// session's secret, so it is known only to whoever holds the cookie.
    pub csrf_token: String,
    /// When the person signed in.
    pub created_at: DateTime<Utc>,
    id_hash: String,
}

impl Session {
    /// Who acts through this session, once sign-in is complete.
    pub fn principal(&self) -> Option<Principal> {
        (self.stage == Stage::Complete).then(|| Principal::Person {
            person_id: self.person.id,
            actor: self.actor.clone(),
        })
    }

    fn acting(&self) -> Principal {
        Principal::Person {
            person_id: self.person.id,
            actor: self.actor.clone(),
        }
    }
}

/// A session just begun: the cookie's secret (shown this once) and the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    /// The secret for the session cookie.
    pub secret: String,
    /// The session.
    pub session: Session,
}

/// A second factor about to be set up: a fresh secret for the person's
/// authenticator app, as base32 and as an `otpauth://` link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TwoFactorSetup {
    /// The secret in base32, to type into an app.
    pub secret: String,
    /// The same as an `otpauth://totp/…` URI, for a QR code.
    pub uri: String,
}

impl Store {
    /// Invites a person: an account bound to one organisation and one role,
    /// with a one-time link to set a password. Overseers only; the role must
    /// fit the organisation as a token's must (422), and one account per
    /// address (409).
    pub async fn invite_person(
        &self,
        ctx: &Ctx<'_, Invitation>,
        draft: &PersonDraft,
    ) -> Result<Written<Invitation>> {
        self.write(ctx, async |tx| {
            tx.principal.require_overseer("invite_person")?;
            let mut errors = ValidationErrors::new();
            let organisation = find(tx.db().await?, &draft.organisation).await?;
            match &organisation {
                None => errors.add(
                    "organisation",
                    format!("no organisation has the code `{}`", draft.organisation),
                ),
                Some(o) if !draft.role.fits(o.kind) => errors.add(
                    "role",
                    format!(
                        "a {} cannot belong to a {}",
                        draft.role.as_str(),
                        o.kind.as_str()
                    ),
                ),
                Some(_) => {}
            }
            let email = errors.check("email", Email::parse(&draft.email));
            let name = errors.check("name", Name::parse(&draft.name));
            errors.into_result()?;
            let (Some(organisation), Some(email), Some(name)) = (organisation, email, name) else {
                return Err(Error::Corrupt(
                    "validated person fields vanished".to_owned(),
                ));
            };
            let taken = people::Entity::find()
                .filter(people::Column::EmailKey.eq(email.key()))
                .count(tx.db().await?)
                .await?;
            if taken > 0 {
                return Err(Error::Conflict(format!(
                    "an account with the address {email} already exists"
                )));
            }
            let person = Person {
                id: PersonId::from_uuid(Uuid::new_v4()),
                organisation: organisation.code,
                role: draft.role,
                email,
                name,
                state: PersonState::Invited,
                two_factor: false,
                created_at: tx.now,
            };
            let secret = new_secret(INVITATION_PREFIX)?;
            let mut row = new_row(&person);
            row.invitation_hash = Some(digest(&secret));
            row.invited_at_us = Some(micros(tx.now));
            tx.insert(row)?;
            let event = person_event(Action::PersonInvited, &person);
            let expires_at = tx.now + person::INVITATION_LIFETIME;
            Ok((
                Invitation {
                    person,
                    secret,
                    expires_at,
                },
                event,
            ))
        })
        .await
    }

    /// Sends an invitation again: a new link for another seven days, the old
    /// one void. Only while the person has not yet set a password (409).
    pub async fn renew_invitation(
        &self,
        ctx: &Ctx<'_, Invitation>,
        id: PersonId,
    ) -> Result<Written<Invitation>> {
        self.write(ctx, async |tx| {
            tx.principal.require_overseer("renew_invitation")?;
            let before = row_of(tx.db().await?, id).await?;
            let person = person_of(&before)?;
            if person.state != PersonState::Invited {
                return Err(Error::Conflict(format!(
                    "the account is {}: only an invited person's invitation can be sent again",
                    person.state.as_str()
                )));
            }
            let secret = new_secret(INVITATION_PREFIX)?;
            let mut after = before.clone();
            after.invitation_hash = Some(digest(&secret));
            after.invited_at_us = Some(micros(tx.now));
            tx.update_changed(before, after)?;
            let event = person_event(Action::PersonInvitationRenewed, &person);
            let expires_at = tx.now + person::INVITATION_LIFETIME;
            Ok((
                Invitation {
                    person,
                    secret,
                    expires_at,
                },
                event,
            ))
        })
        .await
    }

    /// Disables an account (its sessions end at once and it signs in no
    /// more) or enables it again. Overseers only, and never their own
    /// account (409), so that an oversight body cannot lock itself out.
    pub async fn set_person_disabled(
        &self,
        ctx: &Ctx<'_, Person>,
        id: PersonId,
        disabled: bool,
    ) -> Result<Written<Person>> {
        self.write(ctx, async |tx| {
            tx.principal.require_overseer(if disabled {
                "disable_person"
            } else {
                "enable_person"
            })?;
            if let Principal::Person { person_id, .. } = tx.principal
                && *person_id == id
            {
                return Err(Error::Conflict(
                    "you cannot disable or enable your own account".to_owned(),
                ));
            }
            let before = row_of(tx.db().await?, id).await?;
            let mut after = before.clone();
            let action = match (person_of(&before)?.state, disabled) {
                (PersonState::Disabled, true) => {
                    return Err(Error::Conflict(
                        "the account is already disabled".to_owned(),
                    ));
                }
                (PersonState::Disabled, false) => {
                    after.state = wire(if before.password_hash.is_some() {
                        &PersonState::Active
                    } else {
                        &PersonState::Invited
                    });
                    after.disabled_at_us = None;
                    Action::PersonEnabled
                }
                (_, false) => {
                    return Err(Error::Conflict("the account is not disabled".to_owned()));
                }
                (_, true) => {
                    after.state = wire(&PersonState::Disabled);
                    after.disabled_at_us = Some(micros(tx.now));
                    after.invitation_hash = None;
                    end_sessions(tx.db().await?, id, tx.now).await?;
                    Action::PersonDisabled
                }
            };
            let person = person_of(&after)?;
            tx.update_changed(before, after)?;
            Ok((person.clone(), person_event(action, &person)))
        })
        .await
    }

    /// People by when they were invited. Overseers only.
    pub async fn people(&self, principal: &Principal, page: &PageRequest) -> Result<Page<Person>> {
        principal.require_overseer("list_people")?;
        let mut query = people::Entity::find()
            .order_by_asc(people::Column::CreatedAtUs)
            .order_by_asc(people::Column::Id);
        if let Some(after) = &page.after {
            query = query.filter(after_time_id(
                after,
                people::Column::CreatedAtUs,
                people::Column::Id,
            )?);
        }
        let rows = query.limit(page.limit() + 1).all(&self.db).await?;
        Page::from_rows(rows, page.limit(), |row| {
            time_id_key(row.created_at_us, row.id)
        })
        .try_map(|row| person_of(&row))
    }

    /// One person. Overseers only.
    pub async fn person(&self, principal: &Principal, id: PersonId) -> Result<Person> {
        principal.require_overseer("read_person")?;
        person_of(&row_of(&self.db, id).await?)
    }

    /// The names of the people with these ids, to show who acted in an
    /// assignment's history (to whoever may read that history).
    pub async fn person_names(
        &self,
        ids: &[PersonId],
    ) -> Result<std::collections::HashMap<PersonId, String>> {
        if ids.is_empty() {
            return Ok(std::collections::HashMap::new());
        }
        let rows = people::Entity::find()
            .filter(people::Column::Id.is_in(ids.iter().map(PersonId::as_uuid)))
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| (PersonId::from_uuid(row.id), row.name))
            .collect())
    }

    /// The person an invitation link is for, while it is open; none when the
    /// link is malformed, unknown, used, renewed or expired.
    pub async fn invitation(&self, secret: &str) -> Result<Option<Person>> {
        if !well_formed(secret, INVITATION_PREFIX) {
            return Ok(None);
        }
        let Some(row) = people::Entity::find()
            .filter(people::Column::InvitationHash.eq(digest(secret)))
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        open_invitation(&row, self.clock.now())?
            .then(|| person_of(&row))
            .transpose()
    }

    /// Accepts an invitation: checks the new password (422 on `password`),
    /// activates the account and signs the person in. A link that is no
    /// longer open is 404.
    pub async fn accept_invitation(&self, secret: &str, password: &str) -> Result<SignedIn> {
        let person = self
            .invitation(secret)
            .await?
            .ok_or_else(|| Error::not_found("invitation", "link"))?;
        check_password(password, &[person.name.as_str(), person.email.as_str()])
            .map_err(|message| Error::invalid("password", message))?;
        let password_hash = hash_password(password).await?;
        let actor = self.actor_of(&person).await?;
        let principal = Principal::Person {
            person_id: person.id,
            actor,
        };
        let invitation_hash = digest(secret);
        let session_secret = new_secret("")?;
        let written = self
            .write(&Ctx::new(&principal), async |tx| {
                let before = row_of(tx.db().await?, person.id).await?;
                if before.invitation_hash.as_deref() != Some(invitation_hash.as_str())
                    || !open_invitation(&before, tx.now)?
                {
                    return Err(Error::not_found("invitation", "link"));
                }
                let mut after = before.clone();
                after.state = wire(&PersonState::Active);
                after.password_hash = Some(password_hash.clone());
                after.password_changed_at_us = Some(micros(tx.now));
                after.invitation_hash = None;
                let person = person_of(&after)?;
                tx.update_changed(before, after)?;
                let stage = if person.needs_two_factor() {
                    Stage::Enrol
                } else {
                    Stage::Complete
                };
                tx.insert(session_row(&session_secret, person.id, stage, tx.now))?;
                Ok((
                    person.clone(),
                    person_event(Action::PersonActivated, &person),
                ))
            })
            .await?;
        let person = fresh(written)?;
        self.signed_in(session_secret, person).await
    }

    /// Signs a person in with address and password from `address` (the
    /// client's IP address). Refused alike for an unknown address, a wrong
    /// password or an account that is not active (401), and refused without
    /// checking (429) once too many recent attempts failed for the account
    /// or from the address. A person with a second factor gets a session that
    /// still owes a code ([`Stage::SecondFactor`]).
    pub async fn sign_in(&self, email: &str, password: &str, address: &str) -> Result<SignedIn> {
        let email_key = email.trim().to_lowercase();
        let now = self.clock.now();
        self.refuse_if_throttled(&email_key, address, now).await?;
        let row = people::Entity::find()
            .filter(people::Column::EmailKey.eq(email_key.as_str()))
            .one(&self.db)
            .await?;
        let stored_hash = row
            .as_ref()
            .filter(|row| row.state == wire(&PersonState::Active))
            .and_then(|row| row.password_hash.clone());
        // An unknown address costs as much time as a wrong password, so the
        // answer's delay does not tell which addresses have accounts.
        let verified = verify_password(password, stored_hash.as_deref()).await?;
        let (Some(row), true) = (row, verified) else {
            self.count_failure(&email_key, address, now).await?;
            return Err(Error::SignInRefused);
        };
        self.forget_failures(&email_key).await?;
        let person = person_of(&row)?;
        let session_secret = new_secret("")?;
        if person.two_factor {
            // No event yet: the person is signed in once the code is given.
            sessions::Entity::insert(sea_orm::IntoActiveModel::into_active_model(session_row(
                &session_secret,
                person.id,
                Stage::SecondFactor,
                now,
            )))
            .exec_without_returning(&self.db)
            .await?;
            return self.signed_in(session_secret, person).await;
        }
        let stage = if person.needs_two_factor() {
            Stage::Enrol
        } else {
            Stage::Complete
        };
        let principal = Principal::Person {
            person_id: person.id,
            actor: self.actor_of(&person).await?,
        };
        let password_hash = row.password_hash.clone();
        let written = self
            .write(&Ctx::new(&principal), async |tx| {
                let now_row = row_of(tx.db().await?, person.id).await?;
                if now_row.state != wire(&PersonState::Active)
                    || now_row.password_hash != password_hash
                {
                    return Err(Error::SignInRefused);
                }
                tx.insert(session_row(&session_secret, person.id, stage, tx.now))?;
                let mut event = person_event(Action::PersonSignedIn, &person);
                event.payload = json!({ "person": person, "second_factor": null });
                Ok(((), event))
            })
            .await?;
        fresh(written)?;
        self.signed_in(session_secret, person).await
    }

    /// Completes a sign-in that owes a second factor, with a TOTP code or one
    /// of the recovery codes (each works once). A wrong code is refused (401)
    /// and counts towards throttling as a wrong password does.
    pub async fn second_factor(
        &self,
        session_secret: &str,
        code: &str,
        address: &str,
    ) -> Result<Session> {
        let session = self
            .session(session_secret)
            .await?
            .filter(|s| s.stage == Stage::SecondFactor)
            .ok_or(Error::SignInRefused)?;
        let email_key = session.person.email.key();
        let now = self.clock.now();
        self.refuse_if_throttled(&email_key, address, now).await?;
        let code = code.trim().to_owned();
        let id_hash = session.id_hash.clone();
        let principal = session.acting();
        let person = session.person.clone();
        let result = self
            .write(&Ctx::new(&principal), async |tx| {
                let before = row_of(tx.db().await?, person.id).await?;
                let mut after = before.clone();
                let method = if let Some(step) = totp_step(&before, &code, tx.now)? {
                    after.totp_last_step = Some(step);
                    "totp"
                } else if let Some(left) = without_recovery_code(&before, &code)? {
                    after.recovery_codes = Some(left);
                    "recovery_code"
                } else {
                    return Err(Error::SignInRefused);
                };
                tx.update_changed(before, after)?;
                set_stage(tx, &id_hash, Stage::Complete).await?;
                let mut event = person_event(Action::PersonSignedIn, &person);
                event.payload = json!({ "person": person, "second_factor": method });
                Ok(((), event))
            })
            .await;
        match result {
            Ok(_) => Ok(Session {
                stage: Stage::Complete,
                ..session
            }),
            Err(Error::SignInRefused) => {
                self.count_failure(&email_key, address, now).await?;
                Err(Error::SignInRefused)
            }
            Err(error) => Err(error),
        }
    }

    /// The session whose cookie holds `secret`, if it is still good: not
    /// ended, not idle too long, not too old, and its person still active.
    /// Marks it used (to the minute).
    pub async fn session(&self, secret: &str) -> Result<Option<Session>> {
        if !well_formed(secret, "") {
            return Ok(None);
        }
        let id_hash = digest(secret);
        let Some(row) = sessions::Entity::find_by_id(id_hash.clone())
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let now = self.clock.now();
        let created_at = from_micros(row.created_at_us)?;
        let last_seen_at = from_micros(row.last_seen_at_us)?;
        if row.ended_at_us.is_some() || !person::session_open(created_at, last_seen_at, now) {
            return Ok(None);
        }
        let person_row = row_of(&self.db, PersonId::from_uuid(row.person_id)).await?;
        let person = person_of(&person_row)?;
        if person.state != PersonState::Active {
            return Ok(None);
        }
        if now - last_seen_at >= LAST_SEEN_RESOLUTION {
            sessions::Entity::update_many()
                .col_expr(sessions::Column::LastSeenAtUs, Expr::value(micros(now)))
                .filter(sessions::Column::IdHash.eq(id_hash.as_str()))
                .exec(&self.db)
                .await?;
        }
        let actor = self.actor_of(&person).await?;
        Ok(Some(Session {
            person,
            actor,
            stage: from_wire("sessions.stage", &row.stage)?,
            csrf_token: csrf_token(secret),
            created_at,
            id_hash,
        }))
    }

    /// Ends a session. Ending one already ended (or unknown) does nothing.
    pub async fn sign_out(&self, secret: &str) -> Result<()> {
        let Some(session) = self.session(secret).await? else {
            return Ok(());
        };
        let principal = session.acting();
        self.write(&Ctx::new(&principal), async |tx| {
            end_session(tx, &session.id_hash).await?;
            Ok(((), person_event(Action::PersonSignedOut, &session.person)))
        })
        .await?;
        Ok(())
    }

    /// Changes a signed-in person's password, given the current one (401
    /// when wrong) and a new one that passes core's rule (422 on
    /// `new_password`). Every session of the person ends, this one too; the
    /// person goes on in the new session returned.
    pub async fn change_password(
        &self,
        session: &Session,
        current: &str,
        new: &str,
    ) -> Result<SignedIn> {
        let principal = session.principal().ok_or(Error::SignInRefused)?;
        let row = row_of(&self.db, session.person.id).await?;
        if !verify_password(current, row.password_hash.as_deref()).await? {
            return Err(Error::invalid("current_password", "is not your password"));
        }
        let person = session.person.clone();
        check_password(new, &[person.name.as_str(), person.email.as_str()])
            .map_err(|message| Error::invalid("new_password", message))?;
        let password_hash = hash_password(new).await?;
        let session_secret = new_secret("")?;
        let old_hash = row.password_hash;
        let written = self
            .write(&Ctx::new(&principal), async |tx| {
                let before = row_of(tx.db().await?, person.id).await?;
                if before.password_hash != old_hash {
                    return Err(Error::Conflict(
                        "the password was changed meanwhile; sign in again".to_owned(),
                    ));
                }
                let mut after = before.clone();
                after.password_hash = Some(password_hash.clone());
                after.password_changed_at_us = Some(micros(tx.now));
                tx.update_changed(before, after)?;
                end_sessions(tx.db().await?, person.id, tx.now).await?;
                tx.insert(session_row(
                    &session_secret,
                    person.id,
                    Stage::Complete,
                    tx.now,
                ))?;
                Ok(((), person_event(Action::PersonPasswordChanged, &person)))
            })
            .await?;
        fresh(written)?;
        self.signed_in(session_secret, person).await
    }

    /// A second-factor secret for `person` to set up: `shown` again if it
    /// is a secret as this function gives (a form sent back with a wrong
    /// code shows the same one), else a fresh one.
    pub fn begin_two_factor(&self, person: &Person, shown: Option<&str>) -> Result<TwoFactorSetup> {
        let kept = shown
            .and_then(|secret| totp_rs::Secret::try_from_base32(secret.trim()).ok())
            .map(|secret| secret.as_ref().to_vec())
            .filter(|bytes| bytes.len() == 20);
        let bytes = match kept {
            Some(bytes) => bytes,
            None => {
                let mut bytes = vec![0u8; 20];
                getrandom::fill(&mut bytes)
                    .map_err(|e| Error::Corrupt(format!("no randomness available: {e}")))?;
                bytes
            }
        };
        let totp = totp(bytes, person.email.as_str())?;
        Ok(TwoFactorSetup {
            secret: totp_rs::Secret::from(totp_secret_bytes(&totp)).to_base32(),
            uri: totp
                .to_url()
                .map_err(|e| Error::Corrupt(format!("totp uri: {e}")))?,
        })
    }

    /// Sets up a second factor, or replaces the one set up: `secret` as
    /// shown by [`Store::begin_two_factor`] and a `code` the app now shows
    /// (422 on `code` when it does not match). Returns new recovery codes,
    /// shown this once; the old secret and codes stop working. A session
    /// that had to enrol is then complete.
    pub async fn enable_two_factor(
        &self,
        session: &Session,
        secret: &str,
        code: &str,
    ) -> Result<(Session, Vec<String>)> {
        if session.stage == Stage::SecondFactor {
            return Err(Error::SignInRefused);
        }
        let bytes = totp_rs::Secret::try_from_base32(secret.trim())
            .map_err(|_| Error::invalid("secret", "is not the secret shown"))?;
        let totp = totp(bytes.as_ref().to_vec(), session.person.email.as_str())?;
        let step = totp
            .check(code.trim(), unix_seconds(self.clock.now()))
            .ok_or_else(|| {
                Error::invalid(
                    "code",
                    "does not match: enter the six digits your app shows now",
                )
            })?;
        let codes = (0..RECOVERY_CODES)
            .map(|_| recovery_code())
            .collect::<Result<Vec<_>>>()?;
        let hashes: Vec<String> = codes.iter().map(|c| digest(&normalise_code(c))).collect();
        let principal = session.acting();
        let person = session.person.clone();
        let id_hash = session.id_hash.clone();
        let base32 = totp_rs::Secret::from(totp_secret_bytes(&totp)).to_base32();
        self.write(&Ctx::new(&principal), async |tx| {
            let before = row_of(tx.db().await?, person.id).await?;
            // Setting up again replaces the app and the recovery codes (a
            // new phone, codes used up); the same form sent twice is
            // refused, its code being spent.
            let spent = before.totp_secret.as_deref() == Some(base32.as_str())
                && before
                    .totp_last_step
                    .is_some_and(|last| u64::try_from(last).is_ok_and(|last| step <= last));
            if spent {
                return Err(Error::Conflict(
                    "this code has been used: your second factor is already set up with it"
                        .to_owned(),
                ));
            }
            let mut after = before.clone();
            after.totp_secret = Some(base32.clone());
            after.totp_last_step = Some(i64::try_from(step).unwrap_or(i64::MAX));
            after.recovery_codes = Some(json!(hashes).to_string());
            let person = person_of(&after)?;
            tx.update_changed(before, after)?;
            set_stage(tx, &id_hash, Stage::Complete).await?;
            Ok(((), person_event(Action::PersonTwoFactorEnabled, &person)))
        })
        .await?;
        let session = Session {
            person: Person {
                two_factor: true,
                ..session.person.clone()
            },
            stage: Stage::Complete,
            ..session.clone()
        };
        Ok((session, codes))
    }

    /// Removes a person's second factor. Refused for those whose role
    /// requires one (409).
    pub async fn disable_two_factor(&self, session: &Session) -> Result<Person> {
        let principal = session.principal().ok_or(Error::SignInRefused)?;
        if session.person.needs_two_factor() {
            return Err(Refusal::Conflict {
                reason: format!(
                    "a{} {} must keep a second factor",
                    if session.person.role == Role::Observer {
                        "n"
                    } else {
                        ""
                    },
                    session.person.role.as_str()
                ),
            }
            .into());
        }
        let person = session.person.clone();
        let written = self
            .write(&Ctx::new(&principal), async |tx| {
                let before = row_of(tx.db().await?, person.id).await?;
                if before.totp_secret.is_none() {
                    return Err(Error::Conflict("no second factor is set up".to_owned()));
                }
                let mut after = before.clone();
                after.totp_secret = None;
                after.totp_last_step = None;
                after.recovery_codes = None;
                let person = person_of(&after)?;
                tx.update_changed(before, after)?;
                Ok((
                    person.clone(),
                    person_event(Action::PersonTwoFactorDisabled, &person),
                ))
            })
            .await?;
        fresh(written)
    }

    async fn signed_in(&self, secret: String, person: Person) -> Result<SignedIn> {
        let session = self
            .session(&secret)
            .await?
            .ok_or_else(|| Error::Corrupt(format!("the session of {} vanished", person.id)))?;
        Ok(SignedIn { secret, session })
    }

    async fn actor_of(&self, person: &Person) -> Result<Actor> {
        let organisation = find(&self.db, person.organisation.as_str())
            .await?
            .ok_or_else(|| {
                Error::Corrupt(format!("people.organisation: {}", person.organisation))
            })?;
        Ok(Actor {
            organisation: person.organisation.clone(),
            organisation_kind: organisation.kind,
            role: person.role,
        })
    }

    async fn refuse_if_throttled(
        &self,
        email_key: &str,
        address: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let since = micros(now - THROTTLE_WINDOW);
        let mut sql = Sql::new(self.backend);
        sql.push("SELECT (SELECT COUNT(*) FROM sign_in_failures WHERE email_key = ")
            .bind(email_key)
            .push(" AND at_us > ")
            .bind(since)
            .push(") AS account, (SELECT COUNT(*) FROM sign_in_failures WHERE address = ")
            .bind(address)
            .push(" AND at_us > ")
            .bind(since)
            .push(") AS address, (SELECT MIN(at_us) FROM sign_in_failures WHERE (email_key = ")
            .bind(email_key)
            .push(" OR address = ")
            .bind(address)
            .push(") AND at_us > ")
            .bind(since)
            .push(") AS oldest");
        let Some(found) = self.db.query_one_raw(sql.build()).await? else {
            return Ok(());
        };
        let account: i64 = found.try_get("", "account")?;
        let by_address: i64 = found.try_get("", "address")?;
        if !person::throttled(
            u64::try_from(account).unwrap_or(0),
            u64::try_from(by_address).unwrap_or(0),
        ) {
            return Ok(());
        }
        let oldest: Option<i64> = found.try_get("", "oldest")?;
        let until = oldest.map_or(now, |at| from_micros(at).unwrap_or(now) + THROTTLE_WINDOW);
        tracing::warn!(address, "sign-in throttled after repeated failures");
        Err(Error::Throttled {
            retry_after_secs: (until - now).num_seconds().max(1),
        })
    }

    async fn count_failure(
        &self,
        email_key: &str,
        address: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let row = sign_in_failures::Model {
            id: Uuid::new_v4(),
            email_key: email_key.chars().take(254).collect(),
            address: address.chars().take(64).collect(),
            at_us: micros(now),
        };
        sign_in_failures::Entity::insert(sea_orm::IntoActiveModel::into_active_model(row))
            .exec_without_returning(&self.db)
            .await?;
        // Failures older than the window count for nothing: drop them.
        sign_in_failures::Entity::delete_many()
            .filter(sign_in_failures::Column::AtUs.lte(micros(now - THROTTLE_WINDOW)))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    async fn forget_failures(&self, email_key: &str) -> Result<()> {
        sign_in_failures::Entity::delete_many()
            .filter(sign_in_failures::Column::EmailKey.eq(email_key))
            .exec(&self.db)
            .await?;
        Ok(())
    }
}

/// Whether `secret` looks like one of ours at all (so junk never reaches
/// the database): `prefix` and 43 base64url characters.
fn well_formed(secret: &str, prefix: &str) -> bool {
    secret.strip_prefix(prefix).is_some_and(|rest| {
        rest.len() == 43
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

fn new_secret(prefix: &str) -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| Error::Corrupt(format!("no randomness available: {e}")))?;
    Ok(format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    ))
}

/// A recovery code: ten letters and digits of an alphabet with no look-alikes,
/// shown as two groups of five.
fn recovery_code() -> Result<String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut bytes = [0u8; 10];
    getrandom::fill(&mut bytes)
        .map_err(|e| Error::Corrupt(format!("no randomness available: {e}")))?;
    let chars: String = bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect();
    Ok(format!("{}-{}", &chars[..5], &chars[5..]))
}

fn normalise_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

fn csrf_token(session_secret: &str) -> String {
    hex::encode(Sha256::digest(format!("csrf:{session_secret}").as_bytes()))
}

async fn hash_password(password: &str) -> Result<String> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|hash| hash.to_string())
            .map_err(|e| Error::Corrupt(format!("password hashing failed: {e}")))
    })
    .await
    .map_err(|e| Error::Corrupt(format!("password hashing stopped: {e}")))?
}

/// Whether `password` matches `stored`. With nothing stored, a hash is still
/// computed and thrown away, so both answers take as long.
async fn verify_password(password: &str, stored: Option<&str>) -> Result<bool> {
    let password = password.to_owned();
    let stored = stored.map(str::to_owned);
    tokio::task::spawn_blocking(move || match stored {
        Some(stored) => {
            let parsed = PasswordHash::new(&stored)
                .map_err(|e| Error::Corrupt(format!("people.password_hash: {e}")))?;
            Ok(Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok())
        }
        None => {
            let _ = Argon2::default().hash_password(password.as_bytes());
            Ok(false)
        }
    })
    .await
    .map_err(|e| Error::Corrupt(format!("password check stopped: {e}")))?
}

fn totp(secret: Vec<u8>, account: &str) -> Result<totp_rs::Totp> {
    totp_rs::Builder::new()
        .with_algorithm(totp_rs::Algorithm::SHA1)
        .with_digits(TOTP_DIGITS)
        .with_skew(1)
        .with_step_duration(TOTP_STEP)
        .with_secret(secret)
        .with_issuer(Some("rectrack"))
        .with_account_name(account)
        .build()
        .map_err(|e| Error::Corrupt(format!("totp: {e}")))
}

fn totp_secret_bytes(totp: &totp_rs::Totp) -> Vec<u8> {
    totp.secret().as_ref().to_vec()
}

fn unix_seconds(at: DateTime<Utc>) -> u64 {
    u64::try_from(at.timestamp()).unwrap_or(0)
}

/// The time step `code` is valid for, if it is a TOTP code of this person's
/// second factor not used before (RFC 6238 §5.2: each code once).
fn totp_step(row: &people::Model, code: &str, now: DateTime<Utc>) -> Result<Option<i64>> {
    let Some(secret) = &row.totp_secret else {
        return Ok(None);
    };
    if !(code.len() == usize::from(TOTP_DIGITS) && code.bytes().all(|b| b.is_ascii_digit())) {
        return Ok(None);
    }
    let bytes = totp_rs::Secret::try_from_base32(secret)
        .map_err(|_| Error::Corrupt("people.totp_secret is not base32".to_owned()))?;
    let totp = totp(bytes.as_ref().to_vec(), &row.email)?;
    let step = totp
        .check(code, unix_seconds(now))
        .and_then(|step| i64::try_from(step).ok());
    Ok(step.filter(|step| row.totp_last_step.is_none_or(|last| *step > last)))
}

/// The recovery codes left once `code` is used, if it is one of them.
fn without_recovery_code(row: &people::Model, code: &str) -> Result<Option<String>> {
    let Some(stored) = &row.recovery_codes else {
        return Ok(None);
    };
    let mut hashes: Vec<String> = serde_json::from_str(stored)
        .map_err(|e| Error::Corrupt(format!("people.recovery_codes: {e}")))?;
    let wanted = digest(&normalise_code(code));
    let Some(at) = hashes.iter().position(|h| *h == wanted) else {
        return Ok(None);
    };
    hashes.remove(at);
    Ok(Some(json!(hashes).to_string()))
}

fn open_invitation(row: &people::Model, now: DateTime<Utc>) -> Result<bool> {
    Ok(row.state == wire(&PersonState::Invited)
        && match row.invited_at_us {
            Some(at) => person::invitation_open(from_micros(at)?, now),
            None => false,
        })
}

async fn row_of(db: &impl ConnectionTrait, id: PersonId) -> Result<people::Model> {
    people::Entity::find_by_id(id.as_uuid())
        .one(db)
        .await?
        .ok_or_else(|| Error::not_found("person", id))
}

async fn end_sessions(db: &impl ConnectionTrait, id: PersonId, now: DateTime<Utc>) -> Result<()> {
    sessions::Entity::update_many()
        .col_expr(sessions::Column::EndedAtUs, Expr::value(micros(now)))
        .filter(sessions::Column::PersonId.eq(id.as_uuid()))
        .filter(sessions::Column::EndedAtUs.is_null())
        .exec(db)
        .await?;
    Ok(())
}

async fn end_session(tx: &crate::write::Tx<'_>, id_hash: &str) -> Result<()> {
    sessions::Entity::update_many()
        .col_expr(sessions::Column::EndedAtUs, Expr::value(micros(tx.now)))
        .filter(sessions::Column::IdHash.eq(id_hash))
        .exec(tx.db().await?)
        .await?;
    Ok(())
}

async fn set_stage(tx: &crate::write::Tx<'_>, id_hash: &str, stage: Stage) -> Result<()> {
    sessions::Entity::update_many()
        .col_expr(sessions::Column::Stage, Expr::value(wire(&stage)))
        .filter(sessions::Column::IdHash.eq(id_hash))
        .exec(tx.db().await?)
        .await?;
    Ok(())
}

fn session_row(
    secret: &str,
    person: PersonId,
    stage: Stage,
    now: DateTime<Utc>,
) -> sessions::Model {
    sessions::Model {
        id_hash: digest(secret),
        person_id: person.as_uuid(),
        stage: wire(&stage),
        created_at_us: micros(now),
        last_seen_at_us: micros(now),
        ended_at_us: None,
    }
}

fn fresh<T>(written: Written<T>) -> Result<T> {
    written.fresh().ok_or(Error::Misuse(
        "a write without an idempotency key was replayed",
    ))
}

fn person_event(action: Action, person: &Person) -> EventDraft {
    EventDraft {
        action,
        entity_type: "person",
        entity_id: person.id.to_string(),
        payload: json!({ "person": person }),
        touches: vec![],
    }
}

fn new_row(person: &Person) -> people::Model {
    people::Model {
        id: person.id.as_uuid(),
        organisation: person.organisation.to_string(),
        role: wire(&person.role),
        email: person.email.to_string(),
        email_key: person.email.key(),
        name: person.name.to_string(),
        state: wire(&person.state),
        password_hash: None,
        password_changed_at_us: None,
        invitation_hash: None,
        invited_at_us: None,
        totp_secret: None,
        totp_last_step: None,
        recovery_codes: None,
        created_at_us: micros(person.created_at),
        disabled_at_us: None,
    }
}

fn person_of(row: &people::Model) -> Result<Person> {
    Ok(Person {
        id: PersonId::from_uuid(row.id),
        organisation: stored("people.organisation", OrgCode::parse(&row.organisation))?,
        role: from_wire("people.role", &row.role)?,
        email: stored("people.email", Email::parse(&row.email))?,
        name: stored("people.name", Name::parse(&row.name))?,
        state: from_wire("people.state", &row.state)?,
        two_factor: row.totp_secret.is_some(),
        created_at: from_micros(row.created_at_us)?,
    })
}
