//! The server loop: the loopback listener, admitting connections within the cap, serving
//! each with hyper, and sweeping what expired once a second.

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use http::header::{self, HeaderValue};
use http::StatusCode;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::json;
use tokio::net::TcpStream;
use tokio::sync::oneshot;

use crate::connections::Ticket;
use crate::cors::cors;
use crate::render::{json_response, protect};
use crate::shared::Shared;

/// How often expired pins, nonces, tokens and rate-limit keys are released.
pub(crate) const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// Connections answered 503 at once (past the cap, every connection busy); more are
/// closed unanswered.
const MAX_TURNED_AWAY: usize = 64;

/// A loopback listener with a deep accept backlog, so thousands of clients connecting at
/// once queue instead of being dropped and retried (std's `bind` asks for 128).
pub(crate) fn listen(port: u16) -> io::Result<TcpListener> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    socket.bind(&SocketAddr::from(([127, 0, 0, 1], port)).into())?;
    socket.listen(4096)?;
    socket.set_nonblocking(true)?;
    Ok(socket.into())
}

pub(crate) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut stop: oneshot::Receiver<()>,
) {
    let listener = match tokio::net::TcpListener::from_std(listener) {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("plex-pin-emulator: cannot listen: {e}");
            return;
        }
    };
    let sweeper = tokio::spawn(sweep(Arc::clone(&shared)));
    let turned_away = Arc::new(AtomicUsize::new(0));
    loop {
        let (stream, peer) = tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of file descriptors: free one by closing the connection idle the
                // longest. Other errors (or nothing idle): back off instead of spinning.
                Err(e) => {
                    let freed = out_of_descriptors(&e) && shared.connections.close_idlest();
                    let pause = if freed { 1 } else { 10 };
                    tokio::time::sleep(Duration::from_millis(pause)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        match shared.connections.admit() {
            Some(ticket) => {
                tokio::spawn(connection(Arc::clone(&shared), stream, peer, ticket));
            }
            None => {
                tokio::spawn(turn_away(stream, Arc::clone(&turned_away)));
            }
        }
    }
    sweeper.abort();
}

/// EMFILE or ENFILE (the same numbers on Linux and the BSDs).
fn out_of_descriptors(error: &io::Error) -> bool {
    cfg!(unix) && matches!(error.raw_os_error(), Some(23 | 24))
}

/// Serves one admitted connection until it ends, idles past the idle timeout, or the
/// registry closes it to make room.
async fn connection(shared: Arc<Shared>, stream: TcpStream, peer: SocketAddr, mut ticket: Ticket) {
    let activity = Arc::clone(&ticket.activity);
    let idle_timeout = shared.idle_timeout;
    let service = service_fn(move |request| {
        let busy = activity.begin();
        let shared = Arc::clone(&shared);
        async move {
            let answer = crate::routes::handle(shared, request, peer).await;
            drop(busy);
            answer
        }
    });
    // hyper's header timeout runs from the moment it waits for a request's head: on a
    // new connection and between keep-alive requests alike, so it is the idle timeout.
    let serving = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(idle_timeout)
        .serve_connection(TokioIo::new(stream), service);
    // Errors here are clients going away or injected drops: nothing to report.
    tokio::select! {
        _ = serving => {}
        _ = &mut ticket.closed => {}
    }
}

/// Past the cap with every connection busy: one 503 (`Retry-After: 1`), then close.
async fn turn_away(stream: TcpStream, turned_away: Arc<AtomicUsize>) {
    if turned_away.fetch_add(1, Ordering::AcqRel) >= MAX_TURNED_AWAY {
        turned_away.fetch_sub(1, Ordering::AcqRel);
        return;
    }
    let service = service_fn(|_request| async {
        let mut response = json_response(
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"errors":[{"code":503,"message":"too many connections","status":503}]}),
        );
        let headers = response.headers_mut();
        headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        cors(headers);
        protect(headers);
        Ok::<_, std::convert::Infallible>(response)
    });
    let serving = http1::Builder::new()
        .timer(TokioTimer::new())
        .keep_alive(false)
        .header_read_timeout(Duration::from_secs(1))
        .serve_connection(TokioIo::new(stream), service);
    let _ = tokio::time::timeout(Duration::from_secs(2), serving).await;
    turned_away.fetch_sub(1, Ordering::AcqRel);
}

/// Releases what expired, every [`SWEEP_EVERY`].
async fn sweep(shared: Arc<Shared>) {
    let mut tick = tokio::time::interval(SWEEP_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        shared.lock().sweep(Instant::now());
    }
}
