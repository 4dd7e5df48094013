//! Idempotency keys: a write that came with a key keeps the body of its
//! answer under that key, in the write's own transaction; a retry with the
//! same key and the same request gets that body back and writes nothing,
//! and the same key with another request is refused. The store keeps bytes
//! only: what status and headers go with them is the caller's business.

use sea_orm::{DatabaseTransaction, EntityTrait};

use crate::entities::idempotency_keys;
use crate::error::{Error, Result};
use crate::write::Tx;

/// An idempotency key sent with a request, and how to render the answer to
/// keep.
pub struct Idempotency<'a, T> {
    /// Whose key it is: the token id (keys of different tokens never clash).
    pub scope: String,
    /// The key as sent.
    pub key: String,
    /// SHA-256 of the request (method, path, body): the same key with another
    /// request is refused.
    pub request_hash: String,
    /// Renders the command's result as the body to keep, or says why it
    /// cannot.
    pub render: &'a (dyn Fn(&T) -> std::result::Result<String, String> + Send + Sync),
}

impl<T> Idempotency<'_, T> {
    /// The body kept for this key and the seq of the event its write
    /// appended, if it was seen before with the same request; refuses
    /// ([`Error::IdempotencyMismatch`]) a key seen with another request.
    pub(crate) async fn replay(
        &self,
        txn: &DatabaseTransaction,
    ) -> Result<Option<(String, Option<u64>)>> {
        let seen = idempotency_keys::Entity::find_by_id((self.scope.clone(), self.key.clone()))
            .one(txn)
            .await?;
        match seen {
            Some(seen) if seen.request_hash != self.request_hash => Err(Error::IdempotencyMismatch),
            Some(seen) => Ok(Some((
                seen.response_body,
                seen.event_seq.and_then(|s| u64::try_from(s).ok()),
            ))),
            None => Ok(None),
        }
    }

    /// Queues the answer to `value`, whose write appended event `seq`, to
    /// be kept under this key.
    pub(crate) fn keep(&self, tx: &Tx<'_>, value: &T, seq: u64) -> Result<()> {
        let body = (self.render)(value).map_err(Error::Unrenderable)?;
        tx.insert(idempotency_keys::Model {
            scope: self.scope.clone(),
            idempotency_key: self.key.clone(),
            request_hash: self.request_hash.clone(),
            response_body: body,
            created_at_us: crate::convert::micros(tx.now),
            event_seq: i64::try_from(seq).ok(),
        })
    }
}
