//! What a connection may hold: a cap on how many are open at once, and
//! time-outs that close a connection whose client is too slow or silent.
//!
//! Every accepted socket is wrapped in a [`GuardedIo`] that watches the bytes
//! going through it, which is all it needs to know of HTTP/1.1:
//! - **header read**: a request's head (from its first byte, or from the
//!   connection's start) must be complete within `header_read`;
//! - **body read**: each 64 KiB of a request body (or the rest of it) must
//!   arrive within `body_read`, so a body trickled a byte at a time is cut
//!   off while a slow but honest upload is not;
//! - **idle**: a kept-alive connection with no new request, or a response
//!   the client stops reading, is closed after `idle`.
//!
//! An HTTP/2 connection (prior knowledge) is recognised by its preface and
//! then held only to the cap and the stalled-write time-out.
//!
//! Errors the HTTP layer answers itself, below the routes (400 for a
//! request it cannot parse, 414, 431), come out of it with an empty body;
//! the wrapper sends a problem document in their place, like every other
//! error of the service.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use poem::http::uri::Scheme;
use poem::listener::Acceptor;
use poem::web::{LocalAddr, RemoteAddr};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};

use poem_openapi::types::ToJSON;

use crate::problem::{Problem, ProblemKind};

/// Limits on connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Longest wait for a request's head.
    pub header_read: Duration,
    /// Longest wait for each 64 KiB of a request body.
    pub body_read: Duration,
    /// Longest a connection may sit with nothing sent either way.
    pub idle: Duration,
    /// Most connections open at once; more wait to be accepted.
    pub max_connections: usize,
}

/// Default header-read time-out.
pub const HEADER_READ: Duration = Duration::from_secs(10);
/// Default body-read time-out (per 64 KiB).
pub const BODY_READ: Duration = Duration::from_secs(30);
/// Default idle time-out.
pub const IDLE: Duration = Duration::from_secs(60);
/// Default cap on open connections.
pub const MAX_CONNECTIONS: usize = 1024;

/// How much of a body must arrive within `body_read`.
const BODY_WINDOW: u64 = 64 * 1024;

/// How much of a request head is kept to find its `Content-Length`.
const HEAD_KEPT: usize = 64 * 1024;

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_read: HEADER_READ,
            body_read: BODY_READ,
            idle: IDLE,
            max_connections: MAX_CONNECTIONS,
        }
    }
}

/// An acceptor that applies [`ConnectionLimits`] to every connection.
pub struct Guarded<A> {
    inner: A,
    limits: ConnectionLimits,
    open: Arc<Semaphore>,
}

impl<A> Guarded<A> {
    /// Wraps `inner`.
    pub fn new(inner: A, limits: ConnectionLimits) -> Self {
        Self {
            inner,
            limits,
            open: Arc::new(Semaphore::new(limits.max_connections.max(1))),
        }
    }
}

impl<A: Acceptor> Acceptor for Guarded<A> {
    type Io = GuardedIo<A::Io>;

    fn local_addr(&self) -> Vec<LocalAddr> {
        self.inner.local_addr()
    }

    async fn accept(&mut self) -> io::Result<(Self::Io, LocalAddr, RemoteAddr, Scheme)> {
        // At the cap, new connections wait in the listen queue until one
        // closes (and the time-outs make sure one does).
        let permit = self
            .open
            .clone()
            .acquire_owned()
            .await
            .map_err(io::Error::other)?;
        let (io, local, remote, scheme) = self.inner.accept().await?;
        Ok((
            GuardedIo::new(io, self.limits, permit),
            local,
            remote,
            scheme,
        ))
    }
}

/// Where a connection stands, as far as its bytes tell.
#[derive(Debug)]
enum Phase {
    /// Waiting for a request to start, until `deadline`.
    Idle { deadline: Instant },
    /// Reading a request's head, due by `deadline`.
    Head { deadline: Instant, kept: Vec<u8> },
    /// Reading a body: `left` bytes (unknown if chunked); the current
    /// window started at `since` and has `got` bytes so far.
    Body {
        left: Option<u64>,
        since: Instant,
        got: u64,
    },
    /// The request is read; its answer is being made.
    Answering,
    /// HTTP/2 (prior knowledge): its frames are not read here; only the
    /// stalled-write time-out and the cap apply.
    Http2,
}

/// How an HTTP/2 connection opens.
const HTTP2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n";

/// A socket under [`ConnectionLimits`].
pub struct GuardedIo<T> {
    inner: T,
    limits: ConnectionLimits,
    phase: Phase,
    read_timer: Pin<Box<Sleep>>,
    write_timer: Pin<Box<Sleep>>,
    write_stalled: bool,
    /// A problem document sent in place of the HTTP layer's bare error:
    /// its bytes, how many are written, and the length of what it replaces.
    replacement: Option<(Vec<u8>, usize, usize)>,
    _permit: OwnedSemaphorePermit,
}

impl<T> GuardedIo<T> {
    fn new(inner: T, limits: ConnectionLimits, permit: OwnedSemaphorePermit) -> Self {
        let deadline = Instant::now() + limits.header_read;
        Self {
            inner,
            limits,
            phase: Phase::Idle { deadline },
            read_timer: Box::pin(tokio::time::sleep_until(deadline)),
            write_timer: Box::pin(tokio::time::sleep_until(deadline)),
            write_stalled: false,
            replacement: None,
            _permit: permit,
        }
    }

    /// Follows the phase through `bytes` just read.
    fn saw(&mut self, mut bytes: &[u8]) {
        let now = Instant::now();
        while !bytes.is_empty() {
            match &mut self.phase {
                Phase::Idle { .. } => {
                    self.phase = Phase::Head {
                        deadline: now + self.limits.header_read,
                        kept: Vec::new(),
                    };
                }
                Phase::Head { kept, .. } => {
                    let start = kept.len().saturating_sub(3);
                    let room = HEAD_KEPT.saturating_sub(kept.len()).max(3);
                    let take = bytes.len().min(room);
                    kept.extend_from_slice(&bytes[..take]);
                    if kept.starts_with(HTTP2_PREFACE) {
                        self.phase = Phase::Http2;
                        return;
                    }
                    match find(&kept[start..], b"\r\n\r\n") {
                        Some(at) => {
                            let end = start + at + 4;
                            let used = take - (kept.len() - end);
                            let left = body_length(&kept[..end]);
                            bytes = &bytes[used..];
                            self.phase = match left {
                                Some(Some(0)) | None => Phase::Answering,
                                Some(left) => Phase::Body {
                                    left,
                                    since: now,
                                    got: 0,
                                },
                            };
                        }
                        None => {
                            if kept.len() >= HEAD_KEPT {
                                // Keep only the tail to find the end by.
                                let tail = kept.split_off(kept.len() - 3);
                                *kept = tail;
                            }
                            bytes = &bytes[take..];
                        }
                    }
                }
                Phase::Body { left, since, got } => {
                    let n = bytes.len() as u64;
                    let used = left.map_or(n, |left| left.min(n));
                    *got += used;
                    if *got >= BODY_WINDOW {
                        *since = now;
                        *got = 0;
                    }
                    match left {
                        Some(left) if *left <= used => self.phase = Phase::Answering,
                        Some(left) => *left -= used,
                        None => {}
                    }
                    bytes = &bytes[usize::try_from(used).unwrap_or(bytes.len())..];
                }
                Phase::Answering | Phase::Http2 => return,
            }
        }
    }

    fn read_deadline(&self) -> Option<Instant> {
        match &self.phase {
            Phase::Idle { deadline } | Phase::Head { deadline, .. } => Some(*deadline),
            Phase::Body { since, .. } => Some(*since + self.limits.body_read),
            Phase::Answering | Phase::Http2 => None,
        }
    }

    /// Notes `bytes` written: an answer (other than `100 Continue`) starts
    /// the idle clock.
    fn wrote(&mut self, bytes: &[u8], cx: &mut Context<'_>) {
        if matches!(self.phase, Phase::Http2)
            || bytes.starts_with(b"HTTP/1.1 100")
            || bytes.starts_with(b"HTTP/1.0 100")
        {
            return;
        }
        self.phase = Phase::Idle {
            deadline: Instant::now() + self.limits.idle,
        };
        // The HTTP layer may have polled for its next request before this
        // answer went out, when no clock ran: wake it when this one ends.
        let _ = self.arm(cx);
    }

    /// Sets the read clock to the phase's deadline and has `cx` woken when
    /// it passes; whether it has passed is for the next read to say.
    fn arm(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let Some(deadline) = self.read_deadline() else {
            return Poll::Pending;
        };
        if self.read_timer.deadline() != deadline {
            self.read_timer.as_mut().reset(deadline);
        }
        self.read_timer.as_mut().poll(cx)
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// How long the body after `head` is: `None` if it has none,
/// `Some(None)` if chunked (unknown), `Some(Some(n))` for `Content-Length: n`.
fn body_length(head: &[u8]) -> Option<Option<u64>> {
    let text = String::from_utf8_lossy(head);
    let mut length = None;
    for line in text.split("\r\n").skip(1) {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let name = name.trim();
        if name.eq_ignore_ascii_case("transfer-encoding") {
            return Some(None);
        }
        if name.eq_ignore_ascii_case("content-length") {
            length = value.trim().parse::<u64>().ok();
        }
    }
    length.map(Some)
}

/// The problem document for the HTTP layer's own bare error `head`, if it
/// is one: a 4xx with no `Content-Type` (every answer of the routes has one).
fn replacement_for(head: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(head).ok()?;
    let status: u16 = text
        .strip_prefix("HTTP/1.1 ")
        .or_else(|| text.strip_prefix("HTTP/1.0 "))?
        .get(..3)?
        .parse()
        .ok()?;
    let end = text.find("\r\n\r\n").unwrap_or(text.len());
    if !(400..500).contains(&status)
        || text[..end]
            .lines()
            .any(|l| l.to_ascii_lowercase().starts_with("content-type:"))
    {
        return None;
    }
    let problem = match status {
        414 => Problem::of(
            ProblemKind::UriTooLong,
            "the request target is longer than this server reads",
        ),
        431 => Problem::of(
            ProblemKind::HeadersTooLarge,
            "the request's header fields are larger than this server reads",
        ),
        _ => Problem::of(
            ProblemKind::Malformed,
            "the request could not be read as HTTP/1.1",
        ),
    };
    let body = problem.to_json()?.to_string();
    let reason = poem::http::StatusCode::from_u16(problem.status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Bad Request");
    Some(
        format!(
            "HTTP/1.1 {} {reason}\r\ncontent-type: application/problem+json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            problem.status,
            body.len()
        )
        .into_bytes(),
    )
}

fn timed_out(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, format!("{what} timed out"))
}

impl<T: AsyncRead + Unpin> AsyncRead for GuardedIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                this.saw(&buf.filled()[before..]);
                let _ = this.arm(cx);
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => match this.arm(cx) {
                Poll::Ready(()) => Poll::Ready(Err(timed_out(match this.phase {
                    Phase::Idle { .. } => "waiting for a request",
                    Phase::Head { .. } => "reading a request's head",
                    _ => "reading a request's body",
                }))),
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for GuardedIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.replacement.is_none()
            && !matches!(this.phase, Phase::Idle { .. } | Phase::Http2)
            && let Some(bytes) = replacement_for(buf)
        {
            this.replacement = Some((bytes, 0, buf.len()));
        }
        if let Some((bytes, written, replaced)) = &mut this.replacement {
            while *written < bytes.len() {
                match Pin::new(&mut this.inner).poll_write(cx, &bytes[*written..]) {
                    Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                    Poll::Ready(Ok(n)) => *written += n,
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending => return Poll::Pending,
                }
            }
            let replaced = *replaced;
            this.replacement = None;
            this.phase = Phase::Answering;
            return Poll::Ready(Ok(replaced));
        }
        match Pin::new(&mut this.inner).poll_write(cx, buf) {
            Poll::Ready(Ok(n)) => {
                this.write_stalled = false;
                if n > 0 {
                    this.wrote(&buf[..n], cx);
                }
                Poll::Ready(Ok(n))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => {
                if !this.write_stalled {
                    this.write_stalled = true;
                    let deadline = Instant::now() + this.limits.idle;
                    this.write_timer.as_mut().reset(deadline);
                }
                match this.write_timer.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Err(timed_out("sending a response"))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_head_gives_its_body_length() {
        assert_eq!(body_length(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"), None);
        assert_eq!(
            body_length(b"POST / HTTP/1.1\r\ncontent-length: 12\r\n\r\n"),
            Some(Some(12))
        );
        assert_eq!(
            body_length(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"),
            Some(None)
        );
    }

    #[test]
    fn only_the_http_layers_bare_errors_are_replaced() {
        let bare =
            b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\ndate: x\r\n\r\n";
        let replaced = String::from_utf8(replacement_for(bare).unwrap()).unwrap();
        assert!(replaced.starts_with("HTTP/1.1 431 "), "{replaced}");
        assert!(
            replaced.contains("urn:rectrack:problem:headers-too-large"),
            "{replaced}"
        );
        let routed = b"HTTP/1.1 404 Not Found\r\ncontent-type: application/problem+json\r\ncontent-length: 2\r\n\r\n{}";
        assert!(replacement_for(routed).is_none());
        assert!(replacement_for(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").is_none());
    }
}
