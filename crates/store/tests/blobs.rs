//! The blob store: content addresses, the size limit while streaming,
//! staged uploads, verification on read, and `gc` of blobs no row needs.

#![allow(clippy::unwrap_used)] // a panic in a test is a failed test

use std::collections::HashSet;

use bytes::Bytes;
use chrono::{Duration, Utc};
use rectrack_core::evidence::Sha256Hex;
use rectrack_store::BlobStore;
use rectrack_store::blobs::UploadError;

fn chunks(
    parts: &[&'static [u8]],
) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> + Unpin {
    futures::stream::iter(
        parts
            .iter()
            .map(|p| Ok(Bytes::from_static(p)))
            .collect::<Vec<_>>(),
    )
}

#[tokio::test]
async fn a_streamed_blob_is_named_by_its_sha256_and_read_back_whole() {
    let dir = tempfile::tempdir().unwrap();
    let blobs = BlobStore::local(dir.path()).unwrap();
    let stored = blobs
        .put_stream(chunks(&[b"progress ", b"report ", b"2023"]), 1024)
        .await
        .unwrap();
    assert_eq!(stored.sha256, Sha256Hex::of(b"progress report 2023"));
    assert_eq!(stored.size_bytes, 20);
    assert!(blobs.contains(&stored.sha256).await.unwrap());
    assert_eq!(
        &read(&blobs, &stored.sha256).await.unwrap()[..],
        b"progress report 2023"
    );
    assert!(
        dir.path()
            .join("sha256")
            .join(stored.sha256.as_str())
            .exists()
    );
    // The same bytes again make no second copy.
    let again = blobs
        .put_bytes(Bytes::from_static(b"progress report 2023"), 1024)
        .await
        .unwrap();
    assert_eq!(again, stored);
    assert_eq!(
        std::fs::read_dir(dir.path().join("sha256"))
            .unwrap()
            .count(),
        1
    );
}

#[tokio::test]
async fn an_upload_over_the_limit_is_refused_while_streaming_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let blobs = BlobStore::local(dir.path()).unwrap();
    let refused = blobs
        .put_stream(chunks(&[b"12345", b"67890", b"x"]), 10)
        .await;
    assert!(
        matches!(refused, Err(UploadError::TooLarge { limit: 10 })),
        "{refused:?}"
    );
    assert!(
        !blobs
            .contains(&Sha256Hex::of(b"1234567890x"))
            .await
            .unwrap()
    );
    let left: Vec<_> = walk(dir.path());
    assert!(left.is_empty(), "nothing kept: {left:?}");
}

#[tokio::test]
async fn a_blob_changed_on_disk_is_never_served() {
    let dir = tempfile::tempdir().unwrap();
    let blobs = BlobStore::local(dir.path()).unwrap();
    let stored = blobs
        .put_bytes(Bytes::from_static(b"original"), 1024)
        .await
        .unwrap();
    std::fs::write(
        dir.path().join("sha256").join(stored.sha256.as_str()),
        b"tampered",
    )
    .unwrap();
    assert!(read(&blobs, &stored.sha256).await.is_err());
}

#[tokio::test]
async fn gc_lists_then_removes_only_what_no_row_needs() {
    let dir = tempfile::tempdir().unwrap();
    let blobs = BlobStore::local(dir.path()).unwrap();
    let kept = blobs
        .put_bytes(Bytes::from_static(b"kept"), 1024)
        .await
        .unwrap();
    let orphan = blobs
        .put_bytes(Bytes::from_static(b"orphan"), 1024)
        .await
        .unwrap();
    let abandoned = blobs
        .stage(chunks(&[b"abandoned upload"]), 1024)
        .await
        .unwrap();
    let referenced: HashSet<String> = [kept.sha256.to_string()].into();
    // Too recent to collect: an upload may be about to get its row.
    let young = blobs
        .gc(&referenced, Utc::now() - Duration::hours(1), true)
        .await
        .unwrap();
    assert!(young.removed.is_empty(), "{young:?}");
    // A dry run says what it would remove and removes nothing.
    let later = Utc::now() + Duration::seconds(1);
    let dry = blobs.gc(&referenced, later, false).await.unwrap();
    assert_eq!(dry.removed.len(), 2, "{dry:?}");
    assert_eq!(dry.removed_bytes, 6 + 16);
    assert_eq!(walk(dir.path()).len(), 3);
    let done = blobs.gc(&referenced, later, true).await.unwrap();
    assert_eq!(done.removed.len(), 2, "{done:?}");
    assert!(blobs.contains(&kept.sha256).await.unwrap());
    assert!(!blobs.contains(&orphan.sha256).await.unwrap());
    assert!(!blobs.contains(&abandoned.blob.sha256).await.unwrap());
    assert_eq!(walk(dir.path()).len(), 1);
}

#[tokio::test]
async fn a_staged_upload_is_invisible_until_published_and_gone_when_discarded() {
    let dir = tempfile::tempdir().unwrap();
    let blobs = BlobStore::local(dir.path()).unwrap();
    let staged = blobs
        .stage(chunks(&[b"draft ", b"policy"]), 1024)
        .await
        .unwrap();
    assert_eq!(staged.blob.sha256, Sha256Hex::of(b"draft policy"));
    assert!(!blobs.contains(&staged.blob.sha256).await.unwrap());
    blobs.publish(&staged).await.unwrap();
    assert!(blobs.contains(&staged.blob.sha256).await.unwrap());
    // Discarding after publishing leaves the blob.
    blobs.discard(&staged).await;
    assert!(blobs.contains(&staged.blob.sha256).await.unwrap());
    let refused = blobs.stage(chunks(&[b"withdrawn"]), 1024).await.unwrap();
    blobs.discard(&refused).await;
    assert_eq!(walk(dir.path()).len(), 1, "{:?}", walk(dir.path()));
}

#[tokio::test]
async fn gc_publishes_an_upload_whose_row_committed_before_it_was_published() {
    let dir = tempfile::tempdir().unwrap();
    let blobs = BlobStore::local(dir.path()).unwrap();
    let staged = blobs.stage(chunks(&[b"committed"]), 1024).await.unwrap();
    let referenced: HashSet<String> = [staged.blob.sha256.to_string()].into();
    let report = blobs
        .gc(&referenced, Utc::now() + Duration::seconds(1), true)
        .await
        .unwrap();
    assert_eq!(report.published.len(), 1, "{report:?}");
    assert!(report.removed.is_empty(), "{report:?}");
    assert_eq!(
        &read(&blobs, &staged.blob.sha256).await.unwrap()[..],
        b"committed"
    );
}

#[tokio::test]
async fn a_blob_streams_whole_or_by_range_and_a_corrupted_one_ends_in_an_error() {
    use futures::TryStreamExt;
    let dir = tempfile::tempdir().unwrap();
    let blobs = BlobStore::local(dir.path()).unwrap();
    let stored = blobs
        .put_bytes(Bytes::from_static(b"0123456789"), 1024)
        .await
        .unwrap();
    let whole: Vec<Bytes> = blobs
        .open(&stored.sha256, None)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(whole.concat(), b"0123456789");
    let part: Vec<Bytes> = blobs
        .open(&stored.sha256, Some(2..5))
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(part.concat(), b"234");
    std::fs::write(
        dir.path().join("sha256").join(stored.sha256.as_str()),
        b"0123456780",
    )
    .unwrap();
    let read: Result<Vec<Bytes>, _> = blobs
        .open(&stored.sha256, None)
        .await
        .unwrap()
        .try_collect()
        .await;
    assert!(read.is_err(), "a corrupted blob must not stream to its end");
}

/// A blob read whole, as a download streams it.
async fn read(blobs: &BlobStore, sha256: &Sha256Hex) -> rectrack_store::Result<Vec<u8>> {
    use futures::TryStreamExt;
    let chunks: Vec<Bytes> = blobs.open(sha256, None).await?.try_collect().await?;
    Ok(chunks.concat())
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}
