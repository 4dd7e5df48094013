//! Evidence bytes, in a content-addressed blob store behind `object_store`:
//! a directory beside the database by default, any S3-compatible store by
//! configuration.
//!
//! Blobs are named by their SHA-256 (`sha256/<hex>`). An upload streams into
//! a staging object while it is hashed and counted, stops at the size limit,
//! and is then moved to its content address. The blob is therefore complete
//! before the evidence row that names it is written: a row never points to a
//! missing blob, while a blob without a row (an upload whose request then
//! failed) is harmless and removed by [`BlobStore::collect`]. Reads verify
//! the hash, so a corrupted blob is never served.

use std::sync::Arc;

use bytes::Bytes;
use futures::{Stream, StreamExt, TryStreamExt};
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart};
use rectrack_core::evidence::Sha256Hex;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// A blob as stored: its address and length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBlob {
    /// Its SHA-256, which is also its name.
    pub sha256: Sha256Hex,
    /// Its length in bytes.
    pub size_bytes: u64,
}

/// Why an upload was not stored.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// The upload passed `limit` bytes; nothing was kept.
    #[error("the upload is larger than {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// The body could not be read.
    #[error("the upload could not be read: {0}")]
    Body(String),
    /// The blob store failed.
    #[error(transparent)]
    Store(#[from] Error),
}

/// The blob store.
#[derive(Debug, Clone)]
pub struct BlobStore {
    store: Arc<dyn ObjectStore>,
}

impl BlobStore {
    /// Blobs in the directory `dir`, created if missing.
    pub fn local(dir: &std::path::Path) -> Result<Self> {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::Blob(format!("cannot create {}: {e}", dir.display())))?;
        let store = LocalFileSystem::new_with_prefix(dir).map_err(blob_error)?;
        Ok(Self {
            store: Arc::new(store),
        })
    }

    /// Blobs in memory, for tests.
    pub fn in_memory() -> Self {
        Self {
            store: Arc::new(InMemory::new()),
        }
    }

    /// Streams `body` into the store, hashing and counting as it goes, and
    /// refusing it as soon as it passes `limit` bytes.
    pub async fn put_stream<S, E>(&self, body: S, limit: u64) -> Result<StoredBlob, UploadError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let staging = Path::from(format!("staging/{}", uuid::Uuid::new_v4()));
        let upload = self
            .store
            .put_multipart(&staging)
            .await
            .map_err(blob_error)?;
        let mut writer = WriteMultipart::new(upload);
        let mut hasher = Sha256::new();
        let mut size: u64 = 0;
        let mut body = body;
        while let Some(chunk) = body.next().await {
            let chunk = match chunk {
                Ok(chunk) => chunk,
                Err(e) => {
                    abort(writer).await;
                    return Err(UploadError::Body(e.to_string()));
                }
            };
            size += chunk.len() as u64;
            if size > limit {
                abort(writer).await;
                return Err(UploadError::TooLarge { limit });
            }
            hasher.update(&chunk);
            writer.write(&chunk);
        }
        writer.finish().await.map_err(blob_error)?;
        let sha256 = Sha256Hex::from_digest(hasher.finalize().into());
        let address = address(&sha256);
        if self.store.head(&address).await.is_ok() {
            self.store.delete(&staging).await.map_err(blob_error)?;
        } else {
            self.store
                .rename(&staging, &address)
                .await
                .map_err(blob_error)?;
        }
        Ok(StoredBlob {
            sha256,
            size_bytes: size,
        })
    }

    /// Stores `bytes` (a convenience for small blobs and tests).
    pub async fn put_bytes(&self, bytes: Bytes, limit: u64) -> Result<StoredBlob, UploadError> {
        self.put_stream(
            futures::stream::iter([Ok::<_, std::convert::Infallible>(bytes)]),
            limit,
        )
        .await
    }

    /// Whether a blob with this hash is stored.
    pub async fn contains(&self, sha256: &Sha256Hex) -> Result<bool> {
        match self.store.head(&address(sha256)).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(blob_error(e)),
        }
    }

    /// The bytes of a blob, checked against their hash.
    pub async fn get(&self, sha256: &Sha256Hex) -> Result<Bytes> {
        let bytes = self
            .store
            .get(&address(sha256))
            .await
            .map_err(blob_error)?
            .bytes()
            .await
            .map_err(blob_error)?;
        if Sha256Hex::of(&bytes) != *sha256 {
            return Err(Error::Corrupt(format!(
                "blob {sha256} does not match its hash"
            )));
        }
        Ok(bytes)
    }

    /// Deletes blobs that `referenced` does not name and staging leftovers,
    /// if last modified before `older_than`; returns how many were deleted.
    pub async fn collect(
        &self,
        referenced: &std::collections::HashSet<String>,
        older_than: chrono::DateTime<chrono::Utc>,
    ) -> Result<u64> {
        let objects: Vec<_> = self
            .store
            .list(None)
            .try_collect()
            .await
            .map_err(blob_error)?;
        let mut deleted = 0;
        for object in objects {
            let name = object.location.to_string();
            let keep = match name.strip_prefix("sha256/") {
                Some(hash) => referenced.contains(hash),
                None => !name.starts_with("staging/"),
            };
            if !keep && object.last_modified < older_than {
                self.store
                    .delete(&object.location)
                    .await
                    .map_err(blob_error)?;
                deleted += 1;
            }
        }
        Ok(deleted)
    }
}

fn address(sha256: &Sha256Hex) -> Path {
    Path::from(format!("sha256/{sha256}"))
}

async fn abort(writer: WriteMultipart) {
    if let Err(e) = writer.abort().await {
        tracing::warn!(error = %e, "could not discard a partial upload");
    }
}

fn blob_error(e: object_store::Error) -> Error {
    Error::Blob(e.to_string())
}
