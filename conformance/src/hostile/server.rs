//! The hostile plex.tv itself: a raw-socket HTTP server that answers wrong on purpose.
//!
//! The emulator stays faithful to plex.tv; this server is everything plex.tv (or a proxy,
//! or an attacker in its place) might do instead: huge and negative numbers, far dates,
//! silence, bytes dripped one at a time, endless bodies, lying lengths, floods of 1xx
//! responses, oversized headers, deep JSON, redirects, control characters and echoed
//! tokens. It is written on `std::net` alone, so it can send what no HTTP library would.
//!
//! One server serves every [`Scenario`]: the scenario is the first path segment, so a
//! client's base URL is `http://127.0.0.1:PORT/<scenario>` ([`HostileServer::base_url`]),
//! and `GET /scenarios` lists them all for clients that cannot link this module (a wasm
//! test). Start it in the test's process ([`HostileServer::start`], what
//! [`hostile!`](crate::hostile!) does) or as a process of its own, so that its allocations
//! are not counted as the client's: the `plex-pin-hostile-server` binary prints its URL
//! and serves until killed ([`serve_until_killed`], [`ServerProcess`]).

use std::io::{self, BufRead, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use super::TOKEN;

/// The pin id every scenario creates (but `id-max`).
const PIN_ID: u64 = 4242;

/// The longest any connection is held open (a "never answers" server gives up then).
const HOLD: Duration = Duration::from_secs(60);

/// What a login (or a token check) against a scenario must end in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// The login gets [`TOKEN`]: the oddity is harmless and must be tolerated.
    Token,
    /// A typed error, whichever.
    Error,
}

/// Every way the hostile server misbehaves. The name is the URL path prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Scenario {
    /// `expiresIn` 18446744073709551615 (u64::MAX); then approves.
    ExpiresInMax,
    /// `expiresIn` 2^63; then approves.
    ExpiresIn2Pow63,
    /// `expiresIn` 10^12; then approves.
    ExpiresInTrillion,
    /// `expiresIn` -1.
    ExpiresInNegative,
    /// `expiresIn` "soon".
    ExpiresInText,
    /// `id` 18446744073709551615; then approves (polls must reach `/pins/18446744073709551615`).
    IdMax,
    /// `id` 2^64, one past u64.
    IdOverflow,
    /// `id` -1.
    IdNegative,
    /// 429 with `Retry-After: 18446744073709551615`.
    RetryAfterMax,
    /// 429 with `Retry-After` in the year 9999.
    RetryAfterFarDate,
    /// 429 with `Retry-After: -5`.
    RetryAfterNegative,
    /// 429 with `Retry-After: later`.
    RetryAfterText,
    /// Reads the request and never answers.
    NeverAnswers,
    /// Accepts and closes at once.
    ClosesAtOnce,
    /// Sends the status line and headers one byte at a time, never finishing.
    DripHeaders,
    /// Valid answers padded to 65,000 bytes (under the 64 KiB cap), sent one byte per write.
    DripBody,
    /// A chunked body that never ends.
    EndlessChunked,
    /// A body without a length that never ends.
    EndlessUnframed,
    /// `Content-Length: 1000`, then 50 bytes and a close.
    LengthTooLong,
    /// `Content-Length: 20` ahead of a longer body.
    LengthTooShort,
    /// `100 Continue` after `100 Continue`, forever.
    Flood1xx,
    /// A 1 MiB header.
    HugeHeader,
    /// 60,000 nested arrays.
    DeepJson,
    /// A pin with 60,000 nested arrays under an unknown key.
    DeepJsonInPin,
    /// An invalid status line.
    GarbageStatus,
    /// Polls answered `302` to a path that approves another pin.
    Redirect,
    /// Polls answered with another pin's id and a token.
    OtherPin,
    /// A pin code with an escape sequence in it.
    ControlCode,
    /// Escape sequences in every other string field of the pin; then approves.
    ControlFields,
    /// `/api/v2/user` answers 400 with the sent token echoed in JSON.
    EchoTokenJson,
    /// The same in XML.
    EchoTokenXml,
    /// The same in HTML.
    EchoTokenHtml,
    /// JWT sign-in: approved with an unsigned Plex JWT (`alg: none`). Each JWT scenario
    /// hands a refresh (`POST /api/v2/auth/token`) the same Plex JWT as its sign-in.
    JwtUnsigned,
    /// JWT sign-in: approved with a JWT signed by a key `/api/v2/auth/keys` does not list.
    JwtOtherKey,
    /// JWT sign-in: approved with a JWT signed by the listed key, expired an hour ago.
    JwtExpired,
    /// JWT sign-in: approved with a valid JWT issued for another device's key.
    JwtOtherDevice,
    /// JWT sign-in: approved with a token that is no JWT at all.
    JwtNotAJwt,
    /// JWT sign-in: approved with 8 KB of junk.
    JwtJunk,
}

impl Scenario {
    /// Every scenario a login runs.
    pub const LOGIN: &'static [Scenario] = &[
        Scenario::ExpiresInMax,
        Scenario::ExpiresIn2Pow63,
        Scenario::ExpiresInTrillion,
        Scenario::ExpiresInNegative,
        Scenario::ExpiresInText,
        Scenario::IdMax,
        Scenario::IdOverflow,
        Scenario::IdNegative,
        Scenario::RetryAfterMax,
        Scenario::RetryAfterFarDate,
        Scenario::RetryAfterNegative,
        Scenario::RetryAfterText,
        Scenario::NeverAnswers,
        Scenario::ClosesAtOnce,
        Scenario::DripHeaders,
        Scenario::DripBody,
        Scenario::EndlessChunked,
        Scenario::EndlessUnframed,
        Scenario::LengthTooLong,
        Scenario::LengthTooShort,
        Scenario::Flood1xx,
        Scenario::HugeHeader,
        Scenario::DeepJson,
        Scenario::DeepJsonInPin,
        Scenario::GarbageStatus,
        Scenario::Redirect,
        Scenario::OtherPin,
        Scenario::ControlCode,
        Scenario::ControlFields,
    ];

    /// Every scenario a JWT sign-in runs: each hands over a Plex JWT that must not be
    /// handed on.
    pub const JWT_LOGIN: &'static [Scenario] = &[
        Scenario::JwtUnsigned,
        Scenario::JwtOtherKey,
        Scenario::JwtExpired,
        Scenario::JwtOtherDevice,
        Scenario::JwtNotAJwt,
        Scenario::JwtJunk,
    ];

    /// Every scenario a token check (`user`) runs.
    pub const TOKEN_CHECK: &'static [Scenario] = &[
        Scenario::EchoTokenJson,
        Scenario::EchoTokenXml,
        Scenario::EchoTokenHtml,
    ];

    /// The URL path segment naming it.
    pub fn name(self) -> &'static str {
        use Scenario::*;
        match self {
            ExpiresInMax => "expires-in-max",
            ExpiresIn2Pow63 => "expires-in-2pow63",
            ExpiresInTrillion => "expires-in-trillion",
            ExpiresInNegative => "expires-in-negative",
            ExpiresInText => "expires-in-text",
            IdMax => "id-max",
            IdOverflow => "id-overflow",
            IdNegative => "id-negative",
            RetryAfterMax => "retry-after-max",
            RetryAfterFarDate => "retry-after-far-date",
            RetryAfterNegative => "retry-after-negative",
            RetryAfterText => "retry-after-text",
            NeverAnswers => "never-answers",
            ClosesAtOnce => "closes-at-once",
            DripHeaders => "drip-headers",
            DripBody => "drip-body",
            EndlessChunked => "endless-chunked",
            EndlessUnframed => "endless-unframed",
            LengthTooLong => "length-too-long",
            LengthTooShort => "length-too-short",
            Flood1xx => "flood-1xx",
            HugeHeader => "huge-header",
            DeepJson => "deep-json",
            DeepJsonInPin => "deep-json-in-pin",
            GarbageStatus => "garbage-status",
            Redirect => "redirect",
            OtherPin => "other-pin",
            ControlCode => "control-code",
            ControlFields => "control-fields",
            EchoTokenJson => "echo-token-json",
            EchoTokenXml => "echo-token-xml",
            EchoTokenHtml => "echo-token-html",
            JwtUnsigned => "jwt-unsigned",
            JwtOtherKey => "jwt-other-key",
            JwtExpired => "jwt-expired",
            JwtOtherDevice => "jwt-other-device",
            JwtNotAJwt => "jwt-not-a-jwt",
            JwtJunk => "jwt-junk",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        Self::LOGIN
            .iter()
            .chain(Self::TOKEN_CHECK)
            .chain(Self::JWT_LOGIN)
            .copied()
            .find(|s| s.name() == name)
    }

    /// What the client must end in.
    pub fn expect(self) -> Expect {
        use Scenario::*;
        match self {
            ExpiresInMax | ExpiresIn2Pow63 | ExpiresInTrillion | IdMax | DripBody
            | LengthTooShort | ControlFields => Expect::Token,
            _ => Expect::Error,
        }
    }
}

/// A hostile-server binary run as a child process (so that its allocations are not the
/// client's), killed when dropped.
pub struct ServerProcess {
    child: Child,
    url: String,
}

impl ServerProcess {
    /// Starts the binary at `exe` (a binary of the test's own package that calls
    /// [`serve_until_killed`], as `env!("CARGO_BIN_EXE_<name>")` names it) and reads the URL
    /// it prints.
    pub fn start(exe: &str) -> io::Result<Self> {
        let mut child = Command::new(exe)
            .stdout(Stdio::piped())
            .stdin(Stdio::null())
            .spawn()?;
        let mut line = String::new();
        if let Some(out) = child.stdout.take() {
            io::BufReader::new(out).read_line(&mut line)?;
        }
        Ok(Self {
            child,
            url: line.trim().to_owned(),
        })
    }

    /// Its base URL (`http://127.0.0.1:PORT`); `{url}/{scenario}` plays a scenario.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The server: one thread accepting, one per connection. Stops when dropped.
pub struct HostileServer {
    port: u16,
    stop: Arc<AtomicBool>,
    acceptor: Option<thread::JoinHandle<()>>,
}

impl HostileServer {
    /// Listens on 127.0.0.1 on a free port.
    pub fn start() -> io::Result<Self> {
        Self::start_on(0)
    }

    /// Listens on 127.0.0.1:`port` (0 for a free one).
    pub fn start_on(port: u16) -> io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        let port = listener.local_addr()?.port();
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let acceptor = thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let stop = Arc::clone(&stopping);
                thread::spawn(move || {
                    let _ = serve(stream, &stop);
                });
            }
        });
        Ok(Self {
            port,
            stop,
            acceptor: Some(acceptor),
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The base URL that plays `scenario`.
    pub fn base_url(&self, scenario: Scenario) -> String {
        format!("{}/{}", self.url(), scenario.name())
    }
}

impl Drop for HostileServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wake the acceptor so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

/// What the hostile-server binaries do: listens on 127.0.0.1:`port` (0 for a free one),
/// prints its URL on stdout and serves until the process is killed.
pub fn serve_until_killed(port: u16) -> io::Result<std::convert::Infallible> {
    let server = HostileServer::start_on(port)?;
    let mut out = io::stdout().lock();
    writeln!(out, "{}", server.url())?;
    out.flush()?;
    loop {
        thread::park();
    }
}

/// The port of a hostile-server binary's `--port PORT` argument (0 when absent).
pub fn port_argument() -> io::Result<u16> {
    std::env::args()
        .skip_while(|a| a != "--port")
        .nth(1)
        .map_or(Ok(0), |p| p.parse())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))
}

/// The parts of a request the scenarios look at.
struct Request {
    method: String,
    /// The path after the scenario segment.
    path: String,
    token: Option<String>,
}

/// Reads a request head (at most 64 KiB) and skips its body; returns the first path segment
/// (the scenario) and the rest.
fn read_request(stream: &mut TcpStream) -> io::Result<(String, Request)> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 64 * 1024 || stream.read(&mut byte)? == 0 {
            return Err(io::ErrorKind::InvalidData.into());
        }
        head.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&head);
    let mut lines = text.split("\r\n");
    let mut start = lines.next().unwrap_or_default().split(' ');
    let method = start.next().unwrap_or_default().to_owned();
    let target = start.next().unwrap_or_default();
    let mut length = 0usize;
    let mut token = None;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            length = value.parse().unwrap_or(0).min(64 * 1024);
        } else if name.eq_ignore_ascii_case("x-plex-token") {
            token = Some(value.to_owned());
        }
    }
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body)?;
    let target = target.split('?').next().unwrap_or_default();
    let mut segments = target.trim_start_matches('/').splitn(2, '/');
    let first = segments.next().unwrap_or_default().to_owned();
    let path = format!("/{}", segments.next().unwrap_or_default());
    Ok((
        first,
        Request {
            method,
            path,
            token,
        },
    ))
}

/// `GET /scenarios`: every scenario as `[{"name", "kind": "login"|"token-check"|"jwt-login",
/// "expect": "token"|"error"}]`, so that a client in another language (the wasm tests) runs
/// the same list without a copy of it.
fn scenario_list() -> String {
    let entries: Vec<String> = Scenario::LOGIN
        .iter()
        .map(|s| (s, "login"))
        .chain(Scenario::TOKEN_CHECK.iter().map(|s| (s, "token-check")))
        .chain(Scenario::JWT_LOGIN.iter().map(|s| (s, "jwt-login")))
        .map(|(s, kind)| {
            let expect = match s.expect() {
                Expect::Token => "token",
                Expect::Error => "error",
            };
            format!(
                r#"{{"name":"{}","kind":"{kind}","expect":"{expect}"}}"#,
                s.name()
            )
        })
        .collect();
    format!("[{}]", entries.join(","))
}

fn pin_json(id: &str, code: &str, token: Option<&str>, extra: &str) -> String {
    let token = token.map_or("null".to_owned(), |t| format!("\"{t}\""));
    format!(r#"{{"id":{id},"code":"{code}","expiresIn":900,"authToken":{token}{extra}}}"#)
}

fn head(status: &str, headers: &[(&str, &str)], length: Option<usize>) -> String {
    let mut out = format!("HTTP/1.1 {status}\r\nconnection: close\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    if let Some(length) = length {
        out.push_str(&format!("content-length: {length}\r\n"));
    }
    out.push_str("\r\n");
    out
}

fn json(stream: &mut TcpStream, status: &str, body: &str) -> io::Result<()> {
    let head = head(
        status,
        &[("content-type", "application/json")],
        Some(body.len()),
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(body.as_bytes())
}

/// Sleeps in short steps until `HOLD` passes or the server stops.
fn hold(stop: &AtomicBool) {
    let until = Instant::now() + HOLD;
    while Instant::now() < until && !stop.load(Ordering::Relaxed) {
        thread::sleep(Duration::from_millis(20));
    }
}

/// Writes `bytes` one byte per write (each its own TCP segment: no delay is set).
fn drip(
    stream: &mut TcpStream,
    bytes: &[u8],
    pause: Duration,
    stop: &AtomicBool,
) -> io::Result<()> {
    for byte in bytes {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        stream.write_all(std::slice::from_ref(byte))?;
        if !pause.is_zero() {
            thread::sleep(pause);
        }
    }
    Ok(())
}

fn serve(mut stream: TcpStream, stop: &AtomicBool) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let (first, request) = read_request(&mut stream)?;
    if first == "scenarios" {
        return json(&mut stream, "200 OK", &scenario_list());
    }
    let scenario = Scenario::from_name(&first).ok_or(io::ErrorKind::NotFound)?;
    let creating = request.method == "POST" && request.path.starts_with("/api/v2/pins");
    let pending = pin_json(&PIN_ID.to_string(), "ABCD", None, "");
    let approved = pin_json(&PIN_ID.to_string(), "ABCD", Some(TOKEN), "");
    let deep = || "[".repeat(60_000) + &"]".repeat(60_000);
    let limited = |stream: &mut TcpStream, retry_after: &str| {
        let head = head(
            "429 Too Many Requests",
            &[
                ("retry-after", retry_after),
                ("date", "Tue, 01 Dec 2026 12:00:00 GMT"),
            ],
            Some(0),
        );
        stream.write_all(head.as_bytes())
    };
    use Scenario::*;
    match scenario {
        ExpiresInMax | ExpiresIn2Pow63 | ExpiresInTrillion | ExpiresInNegative | ExpiresInText => {
            let expires = match scenario {
                ExpiresInMax => "18446744073709551615",
                ExpiresIn2Pow63 => "9223372036854775808",
                ExpiresInTrillion => "1000000000000",
                ExpiresInNegative => "-1",
                _ => "\"soon\"",
            };
            if creating {
                let body = format!(r#"{{"id":{PIN_ID},"code":"ABCD","expiresIn":{expires}}}"#);
                json(&mut stream, "201 Created", &body)?;
            } else {
                json(&mut stream, "200 OK", &approved)?;
            }
        }
        IdMax | IdOverflow | IdNegative => {
            let id = match scenario {
                IdMax => "18446744073709551615",
                IdOverflow => "18446744073709551616",
                _ => "-1",
            };
            if creating {
                json(&mut stream, "201 Created", &pin_json(id, "ABCD", None, ""))?;
            } else if request.path == format!("/api/v2/pins/{id}") {
                json(
                    &mut stream,
                    "200 OK",
                    &pin_json(id, "ABCD", Some(TOKEN), ""),
                )?;
            } else {
                json(
                    &mut stream,
                    "404 Not Found",
                    r#"{"errors":[{"code":1020}]}"#,
                )?;
            }
        }
        RetryAfterMax => limited(&mut stream, "18446744073709551615")?,
        RetryAfterFarDate => limited(&mut stream, "Fri, 31 Dec 9999 23:59:59 GMT")?,
        RetryAfterNegative => limited(&mut stream, "-5")?,
        RetryAfterText => limited(&mut stream, "later")?,
        NeverAnswers => hold(stop),
        ClosesAtOnce => {}
        DripHeaders => {
            let endless = "HTTP/1.1 200 OK\r\n".to_owned() + &"x-drip: a\r\n".repeat(10_000);
            drip(
                &mut stream,
                endless.as_bytes(),
                Duration::from_millis(5),
                stop,
            )?;
        }
        DripBody => {
            let body = if creating { &pending } else { &approved };
            let padded = format!("{body:<65000}");
            let status = if creating { "201 Created" } else { "200 OK" };
            let head = head(
                status,
                &[("content-type", "application/json")],
                Some(65_000),
            );
            stream.write_all(head.as_bytes())?;
            drip(&mut stream, padded.as_bytes(), Duration::ZERO, stop)?;
        }
        EndlessChunked => {
            let head = head(
                "200 OK",
                &[
                    ("content-type", "application/json"),
                    ("transfer-encoding", "chunked"),
                ],
                None,
            );
            stream.write_all(head.as_bytes())?;
            let chunk = format!("400\r\n{}\r\n", " ".repeat(1024));
            while !stop.load(Ordering::Relaxed) {
                stream.write_all(chunk.as_bytes())?;
            }
        }
        EndlessUnframed => {
            let head = head("200 OK", &[("content-type", "application/json")], None);
            stream.write_all(head.as_bytes())?;
            let block = " ".repeat(4096);
            while !stop.load(Ordering::Relaxed) {
                stream.write_all(block.as_bytes())?;
            }
        }
        LengthTooLong => {
            let head = head(
                "200 OK",
                &[("content-type", "application/json")],
                Some(1000),
            );
            stream.write_all(head.as_bytes())?;
            stream.write_all(&pending.as_bytes()[..50])?;
        }
        LengthTooShort => {
            // The declared length holds a whole answer; what follows it is ignored.
            let body = if creating { &pending } else { &approved };
            let head = head(
                if creating { "201 Created" } else { "200 OK" },
                &[("content-type", "application/json")],
                Some(body.len()),
            );
            stream.write_all(head.as_bytes())?;
            stream.write_all(body.as_bytes())?;
            stream.write_all(b"trailing garbage the length does not cover")?;
        }
        Flood1xx => {
            while !stop.load(Ordering::Relaxed) {
                stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
                thread::sleep(Duration::from_millis(1));
            }
        }
        HugeHeader => {
            let big = "a".repeat(1024 * 1024);
            let head = head("201 Created", &[("x-huge", &big)], Some(pending.len()));
            stream.write_all(head.as_bytes())?;
            stream.write_all(pending.as_bytes())?;
        }
        DeepJson => json(&mut stream, "201 Created", &deep())?,
        DeepJsonInPin => {
            let body = pin_json(
                &PIN_ID.to_string(),
                "ABCD",
                None,
                &format!(r#","x":{}"#, deep()),
            );
            json(&mut stream, "201 Created", &body)?;
        }
        GarbageStatus => stream.write_all(b"HTTP/1.1 2000000 ???\r\n\r\n{}")?,
        Redirect => {
            if creating {
                json(&mut stream, "201 Created", &pending)?;
            } else if request.path.starts_with("/api/v2/pins/9") {
                // The redirect's target: another pin, approved.
                json(
                    &mut stream,
                    "200 OK",
                    &pin_json("9", "WXYZ", Some(TOKEN), ""),
                )?;
            } else {
                let head = head(
                    "302 Found",
                    &[("location", "/redirect/api/v2/pins/9")],
                    Some(0),
                );
                stream.write_all(head.as_bytes())?;
            }
        }
        OtherPin => {
            if creating {
                json(&mut stream, "201 Created", &pending)?;
            } else {
                json(
                    &mut stream,
                    "200 OK",
                    &pin_json("9", "WXYZ", Some(TOKEN), ""),
                )?;
            }
        }
        ControlCode => {
            let body = pin_json(&PIN_ID.to_string(), r"AB\u001b[2J", None, "");
            json(&mut stream, "201 Created", &body)?;
        }
        ControlFields => {
            let esc = r"\u001b]0;owned\u0007\u001b[2J";
            let extra = format!(
                r#","product":"{esc}","qr":"{esc}","clientIdentifier":"","location":{{"city":"{esc}","country":"{esc}"}},"createdAt":"{esc}""#
            );
            let token = if creating { None } else { Some(TOKEN) };
            let status = if creating { "201 Created" } else { "200 OK" };
            json(
                &mut stream,
                status,
                &pin_json(&PIN_ID.to_string(), "ABCD", token, &extra),
            )?;
        }
        JwtUnsigned | JwtOtherKey | JwtExpired | JwtOtherDevice | JwtNotAJwt | JwtJunk => {
            if creating {
                json(&mut stream, "201 Created", &pending)?;
            } else if request.path.starts_with("/api/v2/auth/nonce") {
                json(&mut stream, "200 OK", r#"{"nonce":"hostile-nonce"}"#)?;
            } else if request.path.starts_with("/api/v2/auth/keys") {
                let keys = format!(r#"{{"keys":[{}]}}"#, forged::listed_keys());
                json(&mut stream, "200 OK", &keys)?;
            } else if request.path.starts_with("/api/v2/auth/token") {
                // A refresh: the same forged Plex JWT, as the exchange hands it out.
                let body = format!(r#"{{"auth_token":"{}"}}"#, forged::token(scenario));
                json(&mut stream, "200 OK", &body)?;
            } else {
                let token = forged::token(scenario);
                let body = pin_json(&PIN_ID.to_string(), "ABCD", Some(&token), "");
                json(&mut stream, "200 OK", &body)?;
            }
        }
        EchoTokenJson | EchoTokenXml | EchoTokenHtml => {
            let token = request.token.unwrap_or_default();
            let (content_type, body) = match scenario {
                EchoTokenJson => (
                    "application/json",
                    format!(
                        r#"{{"errors":[{{"code":1001,"message":"token {token} is not allowed","status":400}}],"sent":"{token}"}}"#
                    ),
                ),
                EchoTokenXml => (
                    "application/xml",
                    format!(
                        r#"<errors><error code="1001" message="token {token} is not allowed" status="400"/><sent>{token}</sent></errors>"#
                    ),
                ),
                _ => (
                    "text/html",
                    format!("<html><body>Bad request: you sent {token}</body></html>"),
                ),
            };
            let head = head(
                "400 Bad Request",
                &[("content-type", content_type)],
                Some(body.len()),
            );
            stream.write_all(head.as_bytes())?;
            stream.write_all(body.as_bytes())?;
        }
    }
    let _ = stream.flush();
    let _ = stream.shutdown(Shutdown::Write);
    // Let the client read everything before the socket closes under it.
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let mut sink = [0u8; 512];
    while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
    Ok(())
}

/// The Plex JWTs of the JWT scenarios: each one a client must refuse.
mod forged {
    use std::time::{SystemTime, UNIX_EPOCH};

    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
    use base64::Engine;
    use plex_pin::jwt::DeviceKey;

    use super::Scenario;

    /// The key `/api/v2/auth/keys` lists: the server's stand-in for plex.tv's.
    fn listed() -> DeviceKey {
        DeviceKey::from_seed([0x50; 32])
    }

    pub(super) fn listed_keys() -> String {
        serde_json::to_string(listed().jwk()).unwrap_or_default()
    }

    /// The token `scenario` approves with. A thumbprint of a key the client does not hold
    /// (it never matters: each token fails an earlier check, or that one).
    pub(super) fn token(scenario: Scenario) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let stranger = DeviceKey::from_seed([0x51; 32]);
        let claims = |exp: u64| {
            serde_json::json!({
                "iss": "plex.tv", "aud": ["plex.tv"], "iat": now, "exp": exp,
                "thumbprint": stranger.key_id()
            })
        };
        match scenario {
            Scenario::JwtUnsigned => {
                let header = B64.encode(br#"{"alg":"none","typ":"JWT"}"#);
                let body = B64.encode(claims(now + 3600).to_string());
                format!("{header}.{body}.")
            }
            Scenario::JwtOtherKey => stranger.sign(&claims(now + 3600)),
            Scenario::JwtExpired => listed().sign(&claims(now.saturating_sub(3600))),
            Scenario::JwtOtherDevice => listed().sign(&claims(now + 3600)),
            Scenario::JwtNotAJwt => "plainly-not-a-jwt".to_owned(),
            _ => "A".repeat(8 * 1024),
        }
    }
}
