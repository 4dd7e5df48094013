//! Which audit event a request's write appended, for its answer: a caller
//! runs the request inside [`scope`], and every write that commits (or
//! replays a kept answer) inside it notes its event's `seq` there. The REST
//! service answers it in `Rectrack-Audit-Seq`, so that the writer can fetch
//! the event's receipt.

use std::cell::Cell;

tokio::task_local! {
    static RECORDED: Cell<Option<u64>>;
}

/// Runs `work`, answering with its output and the `seq` of the last audit
/// event a write in it committed or replayed (none if it wrote nothing).
pub async fn scope<F: Future>(work: F) -> (F::Output, Option<u64>) {
    RECORDED
        .scope(Cell::new(None), async move {
            let output = work.await;
            (output, RECORDED.with(Cell::get))
        })
        .await
}

/// Notes that a write in the current scope, if any, committed event `seq`.
pub(crate) fn note(seq: Option<u64>) {
    if let Some(seq) = seq {
        // Outside a scope (the console, tests) there is no one to tell.
        let _ = RECORDED.try_with(|cell| cell.set(Some(seq)));
    }
}
