//! People: accounts bound to one organisation and one role, as tokens are,
//! and the rules of signing in.
//!
//! A person is invited by an overseer and sets a password on the one-time
//! link of the invitation, which lasts [`INVITATION_LIFETIME`]. Passwords
//! follow the NCSC's guidance: a minimum length and a deny-list of the
//! passwords people most often choose (and those built from the person's own
//! name or address), with no composition rules. Overseers must add a second
//! factor (TOTP) before they may act; everyone else may.
//!
//! Core holds the rules — what is a good password, how long an invitation
//! and a session last, when sign-in is throttled — and no secret: hashing,
//! randomness and the clock belong to the store.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::PersonId;
use crate::organisation::OrgCode;
use crate::role::Role;
use crate::text::Name;

/// How long an invitation's link may be used.
pub const INVITATION_LIFETIME: Duration = Duration::days(7);

/// A session ends after this long without a request.
pub const SESSION_IDLE: Duration = Duration::minutes(30);

/// A session ends this long after sign-in, however busy.
pub const SESSION_ABSOLUTE: Duration = Duration::hours(12);

/// The fewest characters a password may have (the NCSC's minimum).
pub const PASSWORD_MIN_CHARS: usize = 8;

/// The most characters a password may have: long passphrases are welcome,
/// but hashing an unbounded input is not.
pub const PASSWORD_MAX_CHARS: usize = 256;

/// How far back failed sign-ins count towards throttling.
pub const THROTTLE_WINDOW: Duration = Duration::minutes(15);

/// Failed sign-ins for one account within [`THROTTLE_WINDOW`] after which
/// its sign-in is refused until the oldest of them ages out.
pub const THROTTLE_PER_ACCOUNT: u64 = 5;

/// Failed sign-ins from one address within [`THROTTLE_WINDOW`] after which
/// that address's sign-ins are refused: enough for an office behind one
/// address, too few to try many accounts.
pub const THROTTLE_PER_ADDRESS: u64 = 20;

/// How many one-time recovery codes a person gets with a second factor.
pub const RECOVERY_CODES: usize = 10;

/// Where an account stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PersonState {
    /// Invited; no password set yet.
    Invited,
    /// Signs in.
    Active,
    /// Disabled by an overseer: signs in no more, and every session ended.
    Disabled,
}

impl PersonState {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Invited => "invited",
            Self::Active => "active",
            Self::Disabled => "disabled",
        }
    }
}

/// A person's account, without any secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    /// Its id.
    pub id: PersonId,
    /// The organisation the person acts for.
    pub organisation: OrgCode,
    /// What the person may do.
    pub role: Role,
    /// The address the person signs in with.
    pub email: Email,
    /// The person's name, as shown in the record.
    pub name: Name,
    /// Where the account stands.
    pub state: PersonState,
    /// Whether a second factor (TOTP) is set up.
    pub two_factor: bool,
    /// When the account was created (invited).
    #[serde(with = "crate::time::utc_micros")]
    pub created_at: DateTime<Utc>,
}

impl Person {
    /// Whether this person must pass a second factor to sign in, and set one
    /// up before acting: overseers always.
    pub fn needs_two_factor(&self) -> bool {
        self.role == Role::Overseer
    }
}

/// The longest e-mail address taken (RFC 5321's path limit less its brackets).
pub const EMAIL_MAX: usize = 254;

/// An e-mail address: one `@` with something before it and a domain after
/// it that has a dot and neither starts nor ends with one; no spaces,
/// control or hidden characters; at most [`EMAIL_MAX`] characters. Forms
/// trim what people type before it is parsed. Compared without regard to
/// case ([`Email::key`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// Parses an address, or says what is wrong with it.
    pub fn parse(email: &str) -> Result<Self, String> {
        if email.is_empty() {
            return Err("must not be empty".to_owned());
        }
        if email.chars().count() > EMAIL_MAX {
            return Err(format!("must be at most {EMAIL_MAX} characters"));
        }
        if email
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || crate::text::is_hidden_format(c))
        {
            return Err("must not contain spaces or hidden characters".to_owned());
        }
        let Some((local, domain)) = email.split_once('@') else {
            return Err("must be an address such as name@example.org".to_owned());
        };
        if local.is_empty() || domain.contains('@') {
            return Err("must be an address such as name@example.org, with one @".to_owned());
        }
        if !domain.contains('.') || domain.starts_with('.') || domain.ends_with('.') {
            return Err("must end in a domain such as example.org".to_owned());
        }
        Ok(Self(email.to_owned()))
    }

    /// The address as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The address in lower case: what makes two addresses the same account.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Email {
    type Error = String;

    fn try_from(raw: String) -> Result<Self, String> {
        Self::parse(&raw)
    }
}

impl From<Email> for String {
    fn from(email: Email) -> Self {
        email.0
    }
}

/// Checks a new password against the NCSC's guidance: at least
/// [`PASSWORD_MIN_CHARS`] characters, at most [`PASSWORD_MAX_CHARS`], and
/// not on the deny-list — the common passwords, words and patterns of
/// `zxcvbn`'s lists, and anything built from the person's own name or
/// address (`context`) — judged by what an attacker would need to guess it
/// (fewer than 10⁸ guesses is refused). No rule asks for digits, symbols or
/// mixed case.
pub fn check_password(password: &str, context: &[&str]) -> Result<(), String> {
    let chars = password.chars().count();
    if chars < PASSWORD_MIN_CHARS {
        return Err(format!(
            "must be at least {PASSWORD_MIN_CHARS} characters (three random words make a good one)"
        ));
    }
    if chars > PASSWORD_MAX_CHARS {
        return Err(format!("must be at most {PASSWORD_MAX_CHARS} characters"));
    }
    let mut words: Vec<&str> = Vec::new();
    for item in context {
        words.push(item);
        words.extend(
            item.split(|c: char| !c.is_alphanumeric())
                .filter(|w| w.len() > 2),
        );
    }
    words.push("rectrack");
    let estimate = zxcvbn::zxcvbn(password, &words);
    if u8::from(estimate.score()) < 3 {
        let why = estimate
            .feedback()
            .and_then(|feedback| feedback.warning())
            .map(|warning| format!(": {}", warning.to_string().trim_end_matches('.')))
            .unwrap_or_default();
        return Err(format!(
            "is too easy to guess{why}; choose a longer one, such as three random words"
        ));
    }
    Ok(())
}

/// Whether an invitation made at `created_at` may still be accepted at `now`.
pub fn invitation_open(created_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now < created_at + INVITATION_LIFETIME
}

/// Whether a session begun at `created_at` and last used at `last_seen_at`
/// is still good at `now`.
pub fn session_open(
    created_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> bool {
    now < last_seen_at + SESSION_IDLE && now < created_at + SESSION_ABSOLUTE
}

/// Whether sign-in must be refused for now, given the failures counted in
/// the last [`THROTTLE_WINDOW`] for the account and for the address.
pub fn throttled(account_failures: u64, address_failures: u64) -> bool {
    account_failures >= THROTTLE_PER_ACCOUNT || address_failures >= THROTTLE_PER_ADDRESS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_common_passwords_are_refused() {
        assert!(check_password("abc12", &[]).is_err());
        assert!(check_password("password1", &[]).is_err());
        assert!(check_password("qwertyuiop", &[]).is_err());
        assert!(check_password("iloveyou2024", &[]).is_err());
        let too_long = "a".repeat(PASSWORD_MAX_CHARS + 1);
        assert!(check_password(&too_long, &[]).is_err());
    }

    #[test]
    fn a_password_built_from_the_persons_own_name_is_refused() {
        let context = ["Priya Sharma", "priya.sharma@met.police.uk"];
        assert!(check_password("priyasharma", &context).is_err());
        assert!(check_password("priyasharma", &[]).is_ok());
    }

    #[test]
    fn three_random_words_pass_without_digits_or_symbols() {
        assert!(check_password("kettle orbit lantern", &[]).is_ok());
        assert!(check_password("correct horse battery staple", &[]).is_ok());
    }

    #[test]
    fn emails_are_checked_and_compared_without_case() {
        let email = Email::parse("Priya.Sharma@Met.Police.UK").expect("valid");
        assert_eq!(email.as_str(), "Priya.Sharma@Met.Police.UK");
        assert_eq!(email.key(), "priya.sharma@met.police.uk");
        for bad in [
            "",
            "priya",
            "@met.police.uk",
            "priya@",
            "pri ya@met.uk",
            " priya@met.uk",
            "a@b",
            "a@b.",
            "a@.b",
            "a@b@c.d",
            "a\u{200B}b@c.d",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn invitations_sessions_and_throttling_run_out_on_time() {
        let t0 = DateTime::from_timestamp(1_700_000_000, 0).expect("time");
        assert!(invitation_open(
            t0,
            t0 + Duration::days(7) - Duration::seconds(1)
        ));
        assert!(!invitation_open(t0, t0 + Duration::days(7)));
        assert!(session_open(t0, t0, t0 + Duration::minutes(29)));
        assert!(!session_open(t0, t0, t0 + Duration::minutes(30)));
        let late = t0 + Duration::hours(12);
        assert!(!session_open(t0, late - Duration::minutes(1), late));
        assert!(!throttled(4, 19));
        assert!(throttled(5, 0));
        assert!(throttled(0, 20));
    }
}
