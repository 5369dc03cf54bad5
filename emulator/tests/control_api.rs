//! The control API is what the README's "Control API" section says (issues 24 §7, 27):
//! its route table is read here and walked, and its lists of routes, fault names, route
//! names and command-line flags are compared with what the emulator knows, so that the
//! documentation and the code cannot drift apart.

mod common;

use std::collections::BTreeSet;
use std::process::Command;

use common::{send, spawn_emulator, CONTROL, JSON_CLIENT};
use plex_pin_emulator::{Emulator, Fault, Options, Route, CONTROL_API_VERSION};
use serde_json::{json, Value};

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap()
}

/// The rows of the first table under `heading`, as cells.
fn table(readme: &str, heading: &str) -> Vec<Vec<String>> {
    let section = readme
        .split_once(&format!("\n{heading}\n"))
        .unwrap_or_else(|| panic!("no {heading} in the README"))
        .1;
    section
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2) // the header and its rule
        .map(|l| {
            l.trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_owned())
                .collect()
        })
        .collect()
}

/// The `backticked` words of a cell.
fn code_spans(cell: &str) -> Vec<String> {
    cell.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// The list after "use " in a parse error ("use 429[:secs], 500, … or redirect").
fn names_in_error(message: &str) -> BTreeSet<String> {
    let list = message.split_once("use ").unwrap().1;
    list.replace(" or ", ", ")
        .split(", ")
        .map(|name| name.split([':', '[']).next().unwrap().trim().to_owned())
        .collect()
}

struct DocumentedRoute {
    methods: Vec<String>,
    path: String,
    body: String,
    status: u16,
}

fn documented_routes() -> Vec<DocumentedRoute> {
    table(&readme(), "### Routes")
        .into_iter()
        .map(|cells| DocumentedRoute {
            methods: code_spans(&cells[0]),
            path: code_spans(&cells[1]).remove(0),
            body: code_spans(&cells[2]).first().cloned().unwrap_or_default(),
            status: cells[3][..3].parse().unwrap(),
        })
        .collect()
}

/// Every documented route, with every documented method and its example body, answers
/// as documented; and the routes documented are exactly the emulator's.
#[test]
fn every_documented_route_answers_as_documented() {
    let emulator = Emulator::start(Options::default()).unwrap();
    let url = emulator.url();
    let routes = documented_routes();
    assert!(routes.len() >= 10, "the table was read: {}", routes.len());
    for route in &routes {
        for method in &route.methods {
            // `123` and "ABCD" stand for a live pin's id and code.
            let pin = send(url, "POST", "/api/v2/pins", JSON_CLIENT, "").json();
            let body = route
                .body
                .replace("123", &pin["id"].to_string())
                .replace("\"ABCD\"", &pin["code"].to_string());
            let reply = match method.as_str() {
                "POST" => send(url, "POST", &route.path, CONTROL, &body),
                "GET" => send(url, "GET", &route.path, &[], ""),
                other => panic!("{other} is no method the control routes take"),
            };
            assert_eq!(
                reply.status, route.status,
                "{method} {} {body}: {}",
                route.path, reply.body
            );
            assert!(reply.body.starts_with('{'), "{method} {}: JSON", route.path);
        }
    }

    // The emulator names its routes when asked for one it does not have.
    let unknown = send(url, "POST", "/emulator/no-such-route", CONTROL, "{}");
    assert_eq!(unknown.status, 404);
    let message = unknown.json()["errors"][0]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    let served: BTreeSet<String> = message
        .split_once(" are ")
        .unwrap()
        .1
        .split(", ")
        .map(|name| format!("/emulator/{name}"))
        .collect();
    let documented: BTreeSet<String> = routes.iter().map(|r| r.path.clone()).collect();
    assert_eq!(documented, served, "README routes against the emulator's");
}

/// The version is where the README says, with the values it says; `stats` carries it.
#[test]
fn the_version_is_as_documented() {
    let emulator = Emulator::start(Options::default()).unwrap();
    let answer = send(emulator.url(), "GET", "/emulator/version", &[], "").json();
    assert_eq!(
        answer,
        json!({"controlApi": CONTROL_API_VERSION, "emulator": env!("CARGO_PKG_VERSION")})
    );
    let documented = documented_routes()
        .into_iter()
        .find(|r| r.path == "/emulator/version")
        .unwrap();
    let table = table(&readme(), "### Routes");
    let row = table.iter().find(|r| r[1].contains("/version")).unwrap();
    let example: Value = serde_json::from_str(&code_spans(&row[3])[0]).unwrap();
    assert_eq!(example, answer, "the README's version answer");
    assert_eq!(documented.status, 200);
    let stats = send(emulator.url(), "POST", "/emulator/stats", CONTROL, "{}").json();
    assert_eq!(stats["controlApi"], CONTROL_API_VERSION);
    assert_eq!(stats["emulator"], env!("CARGO_PKG_VERSION"));
    assert!(readme().contains(&format!("\nVersion {CONTROL_API_VERSION}.")));
}

/// The fault and route names documented are exactly those the emulator parses, and each
/// documented fault is accepted by the control route.
#[test]
fn documented_fault_and_route_names_are_the_emulators() {
    let readme = readme();
    let emulator = Emulator::start(Options::default()).unwrap();
    let mut documented = BTreeSet::new();
    for row in table(&readme, "### Fault names") {
        for name in code_spans(&row[0]) {
            let example = name.replace("SECS", "5").replace("MS", "10");
            assert!(example.parse::<Fault>().is_ok(), "{name}");
            let body = json!({"fault": example, "client": "names-test", "times": 1});
            let reply = send(
                emulator.url(),
                "POST",
                "/emulator/fault",
                CONTROL,
                &body.to_string(),
            );
            assert_eq!(reply.status, 200, "{name}: {}", reply.body);
            documented.insert(name.split(':').next().unwrap().to_owned());
        }
    }
    let parsed = names_in_error(&"nope".parse::<Fault>().unwrap_err());
    assert_eq!(documented, parsed, "fault names");

    let documented: BTreeSet<String> = table(&readme, "### Route names")
        .iter()
        .map(|row| code_spans(&row[0]).remove(0))
        .collect();
    for name in &documented {
        assert!(name.parse::<Route>().is_ok(), "{name}");
    }
    let parsed = names_in_error(&"nope".parse::<Route>().unwrap_err());
    assert_eq!(documented, parsed, "route names");
}

/// The documented errors, for what a caller gets wrong most.
#[test]
fn documented_errors() {
    let emulator = Emulator::start(Options::default()).unwrap();
    let url = emulator.url();
    let typo = send(
        url,
        "POST",
        "/emulator/fault",
        CONTROL,
        r#"{"fault": "500", "tims": 1}"#,
    );
    assert_eq!(typo.status, 400);
    assert!(typo.body.contains("unknown field `tims`"), "{}", typo.body);
    let nothing = send(url, "POST", "/emulator/approve", CONTROL, "{}");
    assert_eq!(nothing.status, 400);
    assert!(nothing.body.contains("id or code is required"));
    let unknown = send(url, "POST", "/emulator/deny", CONTROL, r#"{"id": 5}"#);
    assert_eq!(
        (unknown.status, unknown.json()["errors"][0]["code"].clone()),
        (404, json!(1020))
    );
    assert_eq!(
        send(url, "POST", "/emulator/issue-token", CONTROL, "[]").status,
        400
    );
    assert_eq!(
        send(url, "PUT", "/emulator/approve", CONTROL, "{}").status,
        405
    );
    assert_eq!(
        send(url, "POST", "/emulator/approve", &[], "{}").status,
        415
    );
}

/// The documented command-line flags are the binary's, and `--pin-lifetime` sets how
/// long pins live.
#[test]
fn documented_flags_are_the_binarys_and_pin_lifetime_works() {
    let documented: BTreeSet<String> = table(&readme(), "## Command line")
        .iter()
        .map(|row| code_spans(&row[0])[0].split(' ').next().unwrap().to_owned())
        .collect();
    let help = Command::new(env!("CARGO_BIN_EXE_plex-pin-emulator"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    let offered: BTreeSet<String> = help
        .split_whitespace()
        .filter(|w| w.starts_with("--") && !matches!(*w, "--help" | "--version"))
        .map(|w| w.trim_end_matches(',').to_owned())
        .collect();
    assert_eq!(documented, offered, "README flags against --help");

    let mut command = Command::new(env!("CARGO_BIN_EXE_plex-pin-emulator"));
    command.args(["--port", "0", "--pin-lifetime", "2"]);
    let (mut child, url) = spawn_emulator(command);
    for path in ["/api/v2/pins", "/api/v2/pins?strong=true"] {
        let pin = send(&url, "POST", path, JSON_CLIENT, "").json();
        assert_eq!(pin["expiresIn"], 2, "{path}");
    }
    let _ = child.kill();
    let _ = child.wait();
}
