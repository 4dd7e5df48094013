//! `/workspace/import`: the oversight body brings in a record kept
//! elsewhere (`docs/import.md`), in two steps. The file is sent once: it is
//! read, kept in the blob store under its SHA-256, and imported as a dry
//! run, whose outcome and errors the page shows row by row as a table.
//! Confirming names the kept file by its hash, so it is not sent again, and
//! runs the same `Store::import` the API's `POST /v1/imports` runs, all or
//! nothing. A kept file no evidence cites is removed by `rectrack blobs gc`.

use std::sync::Arc;

use askama::Template;
use futures::TryStreamExt;
use poem::http::StatusCode;
use poem::{Request, Response};
use rectrack_core::evidence::Sha256Hex;
use rectrack_core::import::RowError;
use rectrack_store::Error;
use rectrack_store::import::{FileKind, ImportReport, read_table};
use rectrack_store::people::Session;

use super::{
    Errors, Form, Layout, Workspace, check_form, failed, message_page, new_form_id, render,
    signed_in,
};
use crate::words;

/// The largest file the page takes: the API's.
const FILE_LIMIT: u64 = rectrack_core::import::MAX_BYTES;

struct Outcome {
    row: usize,
    outcome: &'static str,
    done: String,
}

#[derive(Template)]
#[template(path = "workspace/import.html")]
struct ImportPage {
    layout: Layout,
    form_id: String,
    limit: String,
    /// The dry run's or the import's report, with the file's name and kind.
    report: Option<ImportReport>,
    file_name: String,
    kind: &'static str,
    outcomes: Vec<Outcome>,
    row_errors: Vec<RowError>,
    errors: Errors,
}

fn kind_name(kind: FileKind) -> &'static str {
    match kind {
        FileKind::Csv => "csv",
        FileKind::Xlsx => "xlsx",
    }
}

/// `GET /workspace/import`.
pub async fn page(ws: Arc<Workspace>, req: Request) -> Response {
    let session = match signed_in(&ws, &req).await {
        Ok(session) => session,
        Err(response) => return response,
    };
    if let Err(response) = may_import(&session) {
        return response;
    }
    show(&session, None, "", "", Errors::default(), StatusCode::OK)
}

/// Whether the person may import: core's rule, the one `Store::import`
/// applies, checked first so that a file is not taken from one who may not.
fn may_import(session: &Session) -> Result<(), Response> {
    let Some(principal) = session.principal() else {
        return Err(failed());
    };
    principal.require_overseer("import").map_err(|refusal| {
        tracing::info!(%refusal, "the import page was refused");
        message_page(
            StatusCode::FORBIDDEN,
            "Imports are the oversight body's",
            "Only an oversight body's caseworkers import records.",
        )
    })
}

fn show(
    session: &Session,
    report: Option<ImportReport>,
    file_name: &str,
    kind: &'static str,
    errors: Errors,
    status: StatusCode,
) -> Response {
    let (outcomes, row_errors) = match &report {
        Some(report) => (
            report
                .results
                .iter()
                .map(|result| Outcome {
                    row: result.row,
                    outcome: match result.outcome {
                        "created" => "New",
                        "changed" => "Brought up to date",
                        _ => "Nothing to do",
                    },
                    done: result.done.join("; "),
                })
                .collect(),
            report.errors.clone(),
        ),
        None => (Vec::new(), Vec::new()),
    };
    let mut page = ImportPage {
        layout: Layout::of("Import a record", "import", session),
        form_id: new_form_id(),
        limit: words::bytes(FILE_LIMIT),
        report,
        file_name: file_name.to_owned(),
        kind,
        outcomes,
        row_errors,
        errors,
    };
    page.layout.title = page.layout.title(&page.errors);
    render(status, &page)
}

/// `POST /workspace/import`: a file, kept and imported as a dry run.
pub async fn preview(ws: Arc<Workspace>, mut req: Request) -> Response {
    let session = match signed_in(&ws, &req).await {
        Ok(session) => session,
        Err(response) => return response,
    };
    if let Err(response) = may_import(&session) {
        return response;
    }
    if let Err(response) = super::check_origin(&ws, &req) {
        return response;
    }
    let again = |message: &str| {
        show(
            &session,
            None,
            "",
            "",
            Errors::one("import-file", message),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
    };
    let Some(boundary) = req
        .content_type()
        .and_then(|t| multer::parse_boundary(t).ok())
    else {
        return message_page(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "This form could not be read",
            "The file was not sent as a file upload. Go back and try again.",
        );
    };
    let constraints = multer::Constraints::new()
        .allowed_fields(vec!["csrf_token", "file"])
        .size_limit(
            multer::SizeLimit::new()
                .for_field("csrf_token", 1_000)
                .for_field("file", FILE_LIMIT),
        );
    let mut multipart = multer::Multipart::with_constraints(
        req.take_body().into_bytes_stream(),
        boundary,
        constraints,
    );
    let mut form = Form::default();
    let mut file: Option<(String, Option<String>, bytes::Bytes)> = None;
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) if field.name() == Some("file") => {
                let name = field.file_name().unwrap_or_default().to_owned();
                let media_type = field.content_type().map(ToString::to_string);
                match field.bytes().await {
                    Ok(bytes) if !name.is_empty() => file = Some((name, media_type, bytes)),
                    Ok(_) => {}
                    Err(multer::Error::FieldSizeExceeded { .. }) => {
                        return again(&format!(
                            "The file is larger than {}: split it, and import each part",
                            words::bytes(FILE_LIMIT)
                        ));
                    }
                    Err(_) => {
                        return again(
                            "The file could not be read whole: choose it and send it again",
                        );
                    }
                }
            }
            Ok(Some(field)) => {
                let name = field.name().unwrap_or_default().to_owned();
                match field.text().await {
                    Ok(text) => form.push(&name, &text),
                    Err(_) => {
                        return again(
                            "The form could not be read whole: choose the file and send it again",
                        );
                    }
                }
            }
            Ok(None) => break,
            Err(error) => {
                tracing::warn!(%error, "an import form could not be read");
                return again(
                    "The form could not be read whole: choose the file and send it again",
                );
            }
        }
    }
    if let Err(response) = check_form(&ws, &req, &form, &session.csrf_token) {
        return response;
    }
    let Some((name, media_type, bytes)) = file else {
        return again("Choose a CSV or XLSX file");
    };
    let Some(kind) = FileKind::from_file_name(&name)
        .or_else(|| media_type.as_deref().and_then(FileKind::from_media_type))
    else {
        return again("The file must be a CSV file (.csv) or an Excel workbook (.xlsx)");
    };
    let table = match read_table(&bytes, kind) {
        Ok(table) => table,
        // Unreadable (not UTF-8, too many rows, not a workbook): said
        // row by row, as the dry run's errors are.
        Err(error) => return refused(&session, error),
    };
    let blob = match ws.state.store.blobs().put_bytes(bytes, FILE_LIMIT).await {
        Ok(blob) => blob,
        Err(error) => {
            tracing::error!(%error, "an import file could not be kept");
            return failed();
        }
    };
    let Some(principal) = session.principal() else {
        return failed();
    };
    match ws
        .state
        .store
        .import(&principal, &table, blob.sha256.as_ref(), true)
        .await
    {
        Ok(report) => show(
            &session,
            Some(report),
            &name,
            kind_name(kind),
            Errors::default(),
            StatusCode::OK,
        ),
        Err(error) => refused(&session, error),
    }
}

/// `POST /workspace/import/confirm`: the kept file, imported.
pub async fn confirm(ws: Arc<Workspace>, mut req: Request) -> Response {
    let session = match signed_in(&ws, &req).await {
        Ok(session) => session,
        Err(response) => return response,
    };
    let form = match Form::checked(&ws, &mut req, &session.csrf_token).await {
        Ok(form) => form,
        Err(response) => return response,
    };
    if let Err(response) = may_import(&session) {
        return response;
    }
    let kind = match form.get("kind") {
        "csv" => FileKind::Csv,
        "xlsx" => FileKind::Xlsx,
        _ => return unreadable(),
    };
    let Ok(sha256) = Sha256Hex::parse(form.get("sha256")) else {
        return unreadable();
    };
    let gone = || {
        show(
            &session,
            None,
            "",
            "",
            Errors::one(
                "import-file",
                "The file previewed is no longer kept: choose it again to see what it would do",
            ),
            StatusCode::CONFLICT,
        )
    };
    let blobs = ws.state.store.blobs();
    let bytes: Vec<bytes::Bytes> = match blobs.open(&sha256, None).await {
        Ok(stream) => match stream.try_collect().await {
            Ok(chunks) => chunks,
            Err(error) => {
                tracing::error!(%error, "a kept import file could not be read");
                return gone();
            }
        },
        Err(_) => return gone(),
    };
    let bytes = bytes.concat();
    let table = match read_table(&bytes, kind) {
        Ok(table) => table,
        Err(_) => return gone(),
    };
    let Some(principal) = session.principal() else {
        return failed();
    };
    // An import is idempotent by its content: the same file imported again
    // changes nothing, so a second click records nothing twice.
    match ws
        .state
        .store
        .import(&principal, &table, sha256.as_ref(), false)
        .await
    {
        Ok(report) => show(
            &session,
            Some(report),
            form.get("file_name"),
            kind_name(kind),
            Errors::default(),
            StatusCode::OK,
        ),
        Err(error) => refused(&session, error),
    }
}

fn unreadable() -> Response {
    message_page(
        StatusCode::BAD_REQUEST,
        "This form could not be read",
        "Nothing was imported. Go back, choose the file again and try again.",
    )
}

/// A file the store refused: its rows' errors shown as the preview's.
fn refused(session: &Session, error: Error) -> Response {
    match error {
        Error::Import(errors) => {
            let mut shown = Errors::default();
            shown.add(
                "import-file",
                "The file is not in the import format: see its errors below",
            );
            let report = ImportReport::refused("", 0, errors);
            show(
                session,
                Some(report),
                "",
                "",
                shown,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Error::Domain(rectrack_core::Error::Refused(_)) => message_page(
            StatusCode::FORBIDDEN,
            "Imports are the oversight body's",
            "Only an oversight body's caseworkers import records.",
        ),
        error => {
            tracing::error!(%error, "an import failed");
            failed()
        }
    }
}
