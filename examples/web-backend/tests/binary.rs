//! The binary as a newcomer runs it: `plex-pin-web-backend --emulator --auto-approve …`
//! serves the page, signs in, and stops cleanly on Ctrl-C (SIGINT).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The child process, killed if the test ends early.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One HTTP/1.1 request on its own connection: the status and the body.
fn request(addr: SocketAddr, method: &str, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("an answer");
    let (head, body) = answer.split_once("\r\n\r\n").expect("a head and a body");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status");
    (status, body.to_owned())
}

#[test]
fn the_binary_signs_in_against_its_emulator_and_stops_on_ctrl_c() {
    let dir = tempfile::tempdir().unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_plex-pin-web-backend"))
        .args([
            "--emulator",
            "--auto-approve",
            "0.5",
            "--listen",
            "127.0.0.1:0",
            "--db",
        ])
        .arg(dir.path().join("logins.sqlite3"))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("run the binary");
    let mut child = Running(child);

    // Its log says where it serves.
    let (lines, log) = mpsc::channel();
    let stdout = child.0.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let addr: SocketAddr = loop {
        let line = log
            .recv_timeout(Duration::from_secs(30))
            .expect("the binary logs its address");
        if let Some(rest) = line.split("open http://").nth(1) {
            break rest.split(' ').next().unwrap().parse().expect("an address");
        }
    };

    let (status, page) = request(addr, "GET", "/");
    assert_eq!(status, 200);
    assert!(page.contains("Sign in with Plex"), "{page}");

    let (status, body) = request(addr, "POST", "/login");
    assert_eq!(status, 201, "{body}");
    let login: serde_json::Value = serde_json::from_str(&body).unwrap();
    let path = format!("/login/{}", login["id"].as_str().unwrap());
    let deadline = Instant::now() + Duration::from_secs(20);
    let signed_in = loop {
        let (status, body) = request(addr, "GET", &path);
        assert_eq!(status, 200, "{body}");
        let state: serde_json::Value = serde_json::from_str(&body).unwrap();
        if state["status"] != "pending" {
            break state;
        }
        assert!(Instant::now() < deadline, "still pending after 20 s");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(signed_in["status"], "signed_in", "{signed_in}");
    assert_eq!(signed_in["displayName"], "Emulated User");

    // Ctrl-C: a clean stop, exit status 0.
    #[cfg(unix)]
    {
        use rustix::process::{kill_process, Pid, Signal};
        kill_process(Pid::from_child(&child.0), Signal::INT).expect("SIGINT");
        let deadline = Instant::now() + Duration::from_secs(10);
        let exit = loop {
            if let Some(exit) = child.0.try_wait().unwrap() {
                break exit;
            }
            assert!(Instant::now() < deadline, "still running 10 s after Ctrl-C");
            std::thread::sleep(Duration::from_millis(50));
        };
        assert!(exit.success(), "{exit}");
        // The rest of its log, up to the end of its output.
        let said: Vec<String> =
            std::iter::from_fn(|| log.recv_timeout(Duration::from_secs(5)).ok()).collect();
        assert!(
            said.iter().any(|line| line.contains("instance stopped")),
            "{said:?}"
        );
    }
}
