//! The blob store: content addresses, the size limit while streaming,
//! verification on read, and collection of blobs no row refers to.

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
        &blobs.get(&stored.sha256).await.unwrap()[..],
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
    assert!(blobs.get(&stored.sha256).await.is_err());
}

#[tokio::test]
async fn collection_removes_only_unreferenced_blobs() {
    let blobs = BlobStore::in_memory();
    let kept = blobs
        .put_bytes(Bytes::from_static(b"kept"), 1024)
        .await
        .unwrap();
    let orphan = blobs
        .put_bytes(Bytes::from_static(b"orphan"), 1024)
        .await
        .unwrap();
    let referenced: HashSet<String> = [kept.sha256.to_string()].into();
    // Too recent to collect: an upload may be about to get its row.
    assert_eq!(
        blobs
            .collect(&referenced, Utc::now() - Duration::hours(1))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        blobs
            .collect(&referenced, Utc::now() + Duration::seconds(1))
            .await
            .unwrap(),
        1
    );
    assert!(blobs.contains(&kept.sha256).await.unwrap());
    assert!(!blobs.contains(&orphan.sha256).await.unwrap());
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
