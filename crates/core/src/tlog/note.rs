//! C2SP `signed-note`: text signed by one or more keys, here Ed25519 (type
//! `0x01`, a log's signature) and timestamped Ed25519 cosignatures (type
//! `0x04`, C2SP `tlog-cosignature`, a witness's).
//!
//! ```text
//! <text, ending in a newline>
//!
//! — <key name> base64(key id ‖ signature)
//! ```
//!
//! A key is written as `name+hash+base64(type ‖ public key)` (verifier key)
//! or `PRIVATE+KEY+name+hash+base64(type ‖ seed)` (signer key), where `hash`
//! is the key id in 8 hex digits: the first four bytes of
//! `SHA-256(name ‖ "\n" ‖ type ‖ public key)`.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

/// Signatures a note may carry before it is refused as too large.
pub const MAX_SIGNATURES: usize = 32;

/// What a key signs: a log's checkpoints or a witness's cosignatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    /// Ed25519 over the note text (`0x01`).
    Ed25519,
    /// A timestamped Ed25519 cosignature, `cosignature/v1` (`0x04`).
    Cosignature,
}

impl KeyType {
    fn byte(self) -> u8 {
        match self {
            Self::Ed25519 => 0x01,
            Self::Cosignature => 0x04,
        }
    }

    fn of(byte: u8) -> Option<Self> {
        match byte {
            0x01 => Some(Self::Ed25519),
            0x04 => Some(Self::Cosignature),
            _ => None,
        }
    }
}

/// Why a key, a note or a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    /// A key could not be read.
    #[error("not a key: {0}")]
    Key(String),
    /// A note could not be read.
    #[error("not a signed note: {0}")]
    Malformed(String),
    /// No signature by the key is on the note.
    #[error("the note carries no signature by {0}")]
    Unsigned(String),
    /// A signature by the key is on the note but does not verify.
    #[error("the signature by {0} does not verify")]
    BadSignature(String),
}

fn key_id(name: &str, kind: KeyType, public: &[u8; 32]) -> u32 {
    let mut hasher = Sha256::new();
    hasher.update(name.as_bytes());
    hasher.update(b"\n");
    hasher.update([kind.byte()]);
    hasher.update(public);
    let digest = hasher.finalize();
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

fn valid_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == '+')
}

/// A key that verifies a log's or a witness's signatures.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifierKey {
    name: String,
    id: u32,
    kind: KeyType,
    key: VerifyingKey,
}

impl fmt::Debug for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VerifierKey({self})")
    }
}

impl VerifierKey {
    /// The key's name (a log's is its origin).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What it verifies.
    pub fn kind(&self) -> KeyType {
        self.kind
    }

    /// Reads `name+hash+base64(type ‖ key)`.
    pub fn parse(text: &str) -> Result<Self, NoteError> {
        let bad = |why: &str| NoteError::Key(format!("{why} (expected name+hash+key)"));
        let text = text.trim();
        let mut parts = text.splitn(3, '+');
        let (Some(name), Some(hash), Some(data)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(bad("too few parts"));
        };
        if !valid_name(name) {
            return Err(bad("the name is empty or holds a space or '+'"));
        }
        let id = parse_id(hash).ok_or_else(|| bad("the hash is not 8 hex digits"))?;
        let data = STANDARD
            .decode(data)
            .map_err(|_| bad("the key is not base64"))?;
        let (kind, public) = data.split_first().ok_or_else(|| bad("the key is empty"))?;
        let kind = KeyType::of(*kind).ok_or_else(|| bad("the key type is not Ed25519"))?;
        let public: [u8; 32] = public
            .try_into()
            .map_err(|_| bad("an Ed25519 key is 32 bytes"))?;
        let key = VerifyingKey::from_bytes(&public).map_err(|_| bad("not an Ed25519 point"))?;
        if key_id(name, kind, &public) != id {
            return Err(bad("the hash does not match the name and key"));
        }
        Ok(Self {
            name: name.to_owned(),
            id,
            kind,
            key,
        })
    }

    /// Checks that `note` carries a valid signature by this key over its
    /// text; for a cosignature, returns its timestamp.
    pub fn verify(&self, note: &Note) -> Result<Option<u64>, NoteError> {
        let mut found = None;
        for signature in &note.signatures {
            if signature.name != self.name || signature.id != self.id {
                continue;
            }
            let bad = || NoteError::BadSignature(self.name.clone());
            let (timestamp, bytes) = match self.kind {
                KeyType::Ed25519 => (None, signature.bytes.as_slice()),
                KeyType::Cosignature => {
                    let (time, rest) = signature.bytes.split_at_checked(8).ok_or_else(bad)?;
                    let time = u64::from_be_bytes(time.try_into().map_err(|_| bad())?);
                    (Some(time), rest)
                }
            };
            let sig = ed25519_dalek::Signature::from_slice(bytes).map_err(|_| bad())?;
            let message = match timestamp {
                Some(time) => cosigned_message(time, &note.text),
                None => note.text.clone(),
            };
            self.key
                .verify_strict(message.as_bytes(), &sig)
                .map_err(|_| bad())?;
            found = Some(timestamp);
        }
        found.ok_or_else(|| NoteError::Unsigned(self.name.clone()))
    }
}

impl fmt::Display for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut data = vec![self.kind.byte()];
        data.extend_from_slice(self.key.as_bytes());
        write!(f, "{}+{:08x}+{}", self.name, self.id, STANDARD.encode(data))
    }
}

fn parse_id(hash: &str) -> Option<u32> {
    if hash.len() != 8 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(hash, 16).ok()
}

fn cosigned_message(time: u64, text: &str) -> String {
    format!("cosignature/v1\ntime {time}\n{text}")
}

/// A key that signs: a log's checkpoints or a witness's cosignatures.
#[derive(Clone)]
pub struct SignerKey {
    name: String,
    id: u32,
    kind: KeyType,
    key: SigningKey,
}

impl fmt::Debug for SignerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SignerKey({})", self.verifier())
    }
}

impl SignerKey {
    /// A key named `name` from a 32-byte random seed.
    pub fn from_seed(name: &str, kind: KeyType, seed: [u8; 32]) -> Result<Self, NoteError> {
        if !valid_name(name) {
            return Err(NoteError::Key(format!(
                "{name:?} cannot name a key: it must be non-empty, without spaces or '+'"
            )));
        }
        let key = SigningKey::from_bytes(&seed);
        Ok(Self {
            name: name.to_owned(),
            id: key_id(name, kind, key.verifying_key().as_bytes()),
            kind,
            key,
        })
    }

    /// Reads `PRIVATE+KEY+name+hash+base64(type ‖ seed)`.
    pub fn parse(text: &str) -> Result<Self, NoteError> {
        let bad = |why: &str| NoteError::Key(format!("{why} (expected PRIVATE+KEY+name+hash+key)"));
        let rest = text
            .trim()
            .strip_prefix("PRIVATE+KEY+")
            .ok_or_else(|| bad("not a private key"))?;
        let mut parts = rest.splitn(3, '+');
        let (Some(name), Some(hash), Some(data)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(bad("too few parts"));
        };
        let id = parse_id(hash).ok_or_else(|| bad("the hash is not 8 hex digits"))?;
        let data = STANDARD
            .decode(data)
            .map_err(|_| bad("the key is not base64"))?;
        let (kind, seed) = data.split_first().ok_or_else(|| bad("the key is empty"))?;
        let kind = KeyType::of(*kind).ok_or_else(|| bad("the key type is not Ed25519"))?;
        let seed: [u8; 32] = seed
            .try_into()
            .map_err(|_| bad("an Ed25519 seed is 32 bytes"))?;
        let key = Self::from_seed(name, kind, seed)?;
        if key.id != id {
            return Err(bad("the hash does not match the name and key"));
        }
        Ok(key)
    }

    /// The key's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key that verifies this one's signatures.
    pub fn verifier(&self) -> VerifierKey {
        VerifierKey {
            name: self.name.clone(),
            id: self.id,
            kind: self.kind,
            key: self.key.verifying_key(),
        }
    }

    /// Its `PRIVATE+KEY+…` form, for a file readable by its owner only.
    pub fn to_private_string(&self) -> String {
        let mut data = vec![self.kind.byte()];
        data.extend_from_slice(self.key.as_bytes());
        format!(
            "PRIVATE+KEY+{}+{:08x}+{}",
            self.name,
            self.id,
            STANDARD.encode(data)
        )
    }

    /// The signature line this key puts on `text` (a cosignature is made at
    /// `time`, in seconds since the epoch).
    pub fn sign(&self, text: &str, time: u64) -> NoteSignature {
        let mut bytes = Vec::with_capacity(72);
        match self.kind {
            KeyType::Ed25519 => {
                bytes.extend_from_slice(&self.key.sign(text.as_bytes()).to_bytes());
            }
            KeyType::Cosignature => {
                bytes.extend_from_slice(&time.to_be_bytes());
                let message = cosigned_message(time, text);
                bytes.extend_from_slice(&self.key.sign(message.as_bytes()).to_bytes());
            }
        }
        NoteSignature {
            name: self.name.clone(),
            id: self.id,
            bytes,
        }
    }
}

/// One signature line of a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    /// The signing key's name.
    pub name: String,
    /// Its key id.
    pub id: u32,
    /// The signature after the key id (for a cosignature, the timestamp and
    /// the signature).
    pub bytes: Vec<u8>,
}

impl fmt::Display for NoteSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut data = self.id.to_be_bytes().to_vec();
        data.extend_from_slice(&self.bytes);
        write!(f, "\u{2014} {} {}", self.name, STANDARD.encode(data))
    }
}

/// A signed note: its text and signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The text, ending in a newline.
    pub text: String,
    /// Its signature lines, in order.
    pub signatures: Vec<NoteSignature>,
}

impl Note {
    /// Reads a note. The text ends at the last blank line.
    pub fn parse(note: &str) -> Result<Self, NoteError> {
        let bad = |why: &str| NoteError::Malformed(why.to_owned());
        if note.chars().any(|c| c < ' ' && c != '\n') {
            return Err(bad("it holds a control character"));
        }
        if !note.ends_with('\n') {
            return Err(bad("it does not end in a newline"));
        }
        let split = note
            .rfind("\n\n")
            .ok_or_else(|| bad("no blank line before the signatures"))?;
        let text = &note[..=split];
        let mut signatures = Vec::new();
        for line in note[split + 2..].lines() {
            let line = line
                .strip_prefix("\u{2014} ")
                .ok_or_else(|| bad("a signature line does not start with an em dash"))?;
            let (name, data) = line
                .split_once(' ')
                .ok_or_else(|| bad("a signature line has no signature"))?;
            if !valid_name(name) {
                return Err(bad("a signature's key name is not valid"));
            }
            let data = STANDARD
                .decode(data)
                .map_err(|_| bad("a signature is not base64"))?;
            if data.len() < 5 {
                return Err(bad("a signature is too short"));
            }
            signatures.push(NoteSignature {
                name: name.to_owned(),
                id: u32::from_be_bytes([data[0], data[1], data[2], data[3]]),
                bytes: data[4..].to_vec(),
            });
        }
        if signatures.is_empty() {
            return Err(bad("it carries no signature"));
        }
        if signatures.len() > MAX_SIGNATURES {
            return Err(bad("it carries too many signatures"));
        }
        Ok(Self {
            text: text.to_owned(),
            signatures,
        })
    }
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)?;
        f.write_str("\n")?;
        for signature in &self.signatures {
            writeln!(f, "{signature}")?;
        }
        Ok(())
    }
}
