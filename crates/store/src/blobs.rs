//! Evidence bytes, in a content-addressed blob store behind `object_store`:
//! a directory beside the database by default, any S3-compatible store by
//! configuration.
//!
//! Blobs are named by their SHA-256 (`sha256/<hex>`). An upload streams into
//! `staging/` while it is hashed and counted, stops at the size limit, then
//! waits in `pending/<hex>.<id>` until the row that names it commits; only
//! then is it published under its content address ([`Store::add_document`]
//! publishes or discards it). A failed request therefore leaves nothing, and
//! what a crash leaves is found by [`BlobStore::gc`] (`rectrack blobs gc`),
//! which also publishes a pending upload whose row did commit. Reads stream
//! in bounded chunks and verify the hash, so a corrupted blob is never
//! served whole.
//!
//! [`Store::add_document`]: crate::Store::add_document

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

    /// Streams `body` into a temporary object, hashing and counting as it
    /// goes and refusing it as soon as it passes `limit` bytes. The upload
    /// is not yet a blob: [`publish`](Self::publish) it once the row that
    /// names it has committed, or [`discard`](Self::discard) it. Until then
    /// no reader sees it, and `gc` removes it if the process dies first.
    pub async fn stage<S, E>(&self, body: S, limit: u64) -> Result<Staged, UploadError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let staging = Path::from(format!("{STAGING}/{}", uuid::Uuid::new_v4()));
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
            if let Err(e) = writer.wait_for_capacity(4).await {
                return Err(UploadError::Store(blob_error(e)));
            }
            writer.write(&chunk);
        }
        writer.finish().await.map_err(blob_error)?;
        let sha256 = Sha256Hex::from_digest(hasher.finalize().into());
        // Named by its hash, so that `gc` can finish publishing it if the
        // row committed and the process died before the rename.
        let pending = Path::from(format!(
            "{PENDING}/{sha256}.{}",
            uuid::Uuid::new_v4().simple()
        ));
        if let Err(e) = self.store.rename(&staging, &pending).await {
            self.remove(&staging).await;
            return Err(UploadError::Store(blob_error(e)));
        }
        Ok(Staged {
            pending,
            blob: StoredBlob {
                sha256,
                size_bytes: size,
            },
        })
    }

    /// Makes a staged upload a blob under its content address. The bytes
    /// are the same whoever published them first, so it replaces any copy.
    pub async fn publish(&self, staged: &Staged) -> Result<()> {
        self.store
            .rename(&staged.pending, &address(&staged.blob.sha256))
            .await
            .map_err(blob_error)
    }

    /// Removes a staged upload that will not be published (nothing to do if
    /// it already was).
    pub async fn discard(&self, staged: &Staged) {
        self.remove(&staged.pending).await;
    }

    async fn remove(&self, location: &Path) {
        match self.store.delete(location).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => tracing::warn!(error = %e, %location, "could not remove a temporary upload"),
        }
    }

    /// Stages and publishes `body` at once, for blobs not tied to a row's
    /// commit (tests and tools).
    pub async fn put_stream<S, E>(&self, body: S, limit: u64) -> Result<StoredBlob, UploadError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let staged = self.stage(body, limit).await?;
        self.publish(&staged).await?;
        Ok(staged.blob)
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

    /// A blob's bytes in `range` (all of them if `None`) as a stream of
    /// bounded chunks, so serving a document costs the same memory whatever
    /// its size. A whole read is hashed as it streams and ends in an error
    /// instead of its last chunk if the bytes are not those stored; a
    /// partial read cannot be checked.
    pub async fn open(
        &self,
        sha256: &Sha256Hex,
        range: Option<std::ops::Range<u64>>,
    ) -> Result<BlobStream> {
        let options = object_store::GetOptions {
            range: range.clone().map(Into::into),
            ..Default::default()
        };
        let result = self
            .store
            .get_opts(&address(sha256), options)
            .await
            .map_err(blob_error)?;
        let chunks = result.into_stream().map_err(blob_error);
        Ok(match range {
            Some(_) => chunks.boxed(),
            None => verified(chunks, sha256.clone()).boxed(),
        })
    }

    /// Lists what no evidence row needs: blobs whose hash is not in
    /// `referenced`, and temporary uploads, last modified before
    /// `older_than` (younger ones may belong to an upload in flight). A
    /// staged upload whose row did commit (the process stopped between the
    /// commit and the rename) is published, not removed. Removes and
    /// publishes only if `act`; otherwise says what it would do.
    pub async fn gc(
        &self,
        referenced: &std::collections::HashSet<String>,
        older_than: chrono::DateTime<chrono::Utc>,
        act: bool,
    ) -> Result<GcReport> {
        let objects: Vec<_> = self
            .store
            .list(None)
            .try_collect()
            .await
            .map_err(blob_error)?;
        let mut report = GcReport::default();
        for object in objects {
            let name = object.location.to_string();
            let item = GcItem {
                name: name.clone(),
                size_bytes: object.size,
            };
            if let Some(hash) = name.strip_prefix("sha256/") {
                if referenced.contains(hash) || object.last_modified >= older_than {
                    continue;
                }
            } else if let Some(rest) = name.strip_prefix(&format!("{PENDING}/")) {
                let hash = rest.split('.').next().unwrap_or_default();
                if referenced.contains(hash)
                    && let Ok(sha256) = Sha256Hex::parse(hash)
                    && !self.contains(&sha256).await?
                {
                    if act {
                        self.store
                            .rename(&object.location, &address(&sha256))
                            .await
                            .map_err(blob_error)?;
                    }
                    report.published.push(item);
                    continue;
                }
                if object.last_modified >= older_than {
                    continue;
                }
            } else if !name.starts_with(&format!("{STAGING}/"))
                || object.last_modified >= older_than
            {
                continue;
            }
            if act {
                self.remove(&object.location).await;
            }
            report.removed_bytes += item.size_bytes;
            report.removed.push(item);
        }
        Ok(report)
    }
}

/// Where uploads are written while they stream.
const STAGING: &str = "staging";

/// Where complete uploads wait for their row to commit.
const PENDING: &str = "pending";

/// An upload streamed and hashed but not yet published: no reader sees it.
#[derive(Debug)]
pub struct Staged {
    pending: Path,
    /// What it will be once published.
    pub blob: StoredBlob,
}

/// A blob's bytes, in chunks.
pub type BlobStream = futures::stream::BoxStream<'static, Result<Bytes>>;

/// What `gc` found, and removed or published if it was asked to act.
#[derive(Debug, Default, serde::Serialize)]
pub struct GcReport {
    /// Blobs and temporary uploads no row needs.
    pub removed: Vec<GcItem>,
    /// Their total size.
    pub removed_bytes: u64,
    /// Uploads whose row committed before they were published.
    pub published: Vec<GcItem>,
}

/// One object in the blob store.
#[derive(Debug, serde::Serialize)]
pub struct GcItem {
    /// Its name in the store.
    pub name: String,
    /// Its size in bytes.
    pub size_bytes: u64,
}

/// Passes `chunks` on one behind, hashing them, and gives the last chunk
/// only if the whole matches `sha256`: a reader of a corrupted blob gets an
/// error, never a complete-looking body.
fn verified(
    chunks: impl Stream<Item = Result<Bytes>> + Send + 'static,
    sha256: Sha256Hex,
) -> impl Stream<Item = Result<Bytes>> + Send + 'static {
    use std::task::Poll;
    let mut chunks = Box::pin(chunks);
    let mut hasher = Some(Sha256::new());
    let mut held: Option<Bytes> = None;
    futures::stream::poll_fn(move |cx| {
        loop {
            let Some(hashing) = hasher.as_mut() else {
                return Poll::Ready(None);
            };
            match futures::ready!(chunks.as_mut().poll_next(cx)) {
                Some(Ok(chunk)) => {
                    hashing.update(&chunk);
                    if let Some(previous) = held.replace(chunk) {
                        return Poll::Ready(Some(Ok(previous)));
                    }
                }
                Some(Err(e)) => {
                    hasher = None;
                    return Poll::Ready(Some(Err(e)));
                }
                None => {
                    let whole = hasher.take().map(|h| h.finalize());
                    if whole.is_some_and(|d| Sha256Hex::from_digest(d.into()) != sha256) {
                        return Poll::Ready(Some(Err(Error::Corrupt(format!(
                            "blob {sha256} does not match its hash"
                        )))));
                    }
                    return Poll::Ready(held.take().map(Ok));
                }
            }
        }
    })
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
