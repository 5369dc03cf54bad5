//! Transport and emulator figures: a bench binary that prints a table (not a timed test).
//!
//! `cargo bench -p plex-pin-tests --bench transports` (add `-- --logins N` to change the
//! 10,000 concurrent logins, `-- --runs N` the 3 runs of them). The emulator runs in a child
//! process (this binary, started with `serve`), so client and server memory are measured
//! apart and the load really comes from another process.
//!
//! 1. Sequential check-pin round trips on loopback, ureq and hyper: median and p99 per call,
//!    and the client's CPU time per call (this thread's on-CPU time, user and system, from
//!    `/proc/thread-self/schedstat`; every client task runs on this thread).
//! 2. The heap of one pooled keep-alive hyper connection: a burst of concurrent calls opens
//!    one connection each, which then wait in the pool.
//! 3. N concurrent hyper logins against the emulator, several runs (a new client each):
//!    wall time, errors, client heap at the moment all logins are pending (per login: its
//!    task, and its share of the pooled connections, which the burst of pin creations
//!    opened and the polls share), the connections open then, the size of one login
//!    future, client peak heap and RSS, emulator peak RSS. The per-login heap moves with
//!    the connections open at the sample, so each run is printed and then the min–max.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use plex_pin::{Call, ClientId, Config, LoginOptions, PinOptions};
use plex_pin_emulator::{Emulator, Limits, Options};
use plex_pin_tests::alloc;

#[global_allocator]
static ALLOC: alloc::Counting = alloc::Counting;

const ROUND_TRIPS: usize = 2_000;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("serve") {
        return serve(args.get(2).and_then(|s| s.parse().ok()).unwrap_or(5));
    }
    // `cargo bench` passes `--bench`; ignore it.
    let logins = args
        .iter()
        .position(|a| a == "--logins")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(10_000usize);
    let runs = args
        .iter()
        .position(|a| a == "--runs")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(3usize)
        .max(1);

    // On this project's VM, a wake-up across CPUs costs ~70 µs: pinned to one CPU
    // (`taskset -c 0 cargo bench …`), client and emulator measure the code, not the VM.
    let cpus = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Cpus_allowed_list:"))
                .map(|l| l[19..].trim().to_owned())
        })
        .unwrap_or_else(|| "?".into());
    println!(
        "plex-pin transport figures ({} CPUs, allowed: {cpus})\n",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let (mut child, url) = spawn_emulator(5);
    round_trips(&url);
    pooled_connection_heap(&url, 1_000);
    concurrent_logins(&url, logins, runs, child.id());
    let _ = child.kill();
    let _ = child.wait();
}

/// Child mode: run an emulator (auto-approving after `secs`) until stdin closes. Its rate
/// limits are off: the runs create more pins under one client identifier than a client
/// may in a burst (20,000), and measuring the client is the point.
fn serve(auto_approve_secs: u64) {
    let mut limits = Limits::default();
    limits.per_client = None;
    limits.per_address = None;
    let options = Options::default()
        .auto_approve(Duration::from_secs(auto_approve_secs))
        .limits(limits);
    let emulator = Emulator::start(options).unwrap();
    println!("{}", emulator.url());
    std::io::stdout().flush().unwrap();
    let mut line = String::new();
    while std::io::stdin().read_line(&mut line).is_ok_and(|n| n > 0) {}
}

fn spawn_emulator(auto_approve_secs: u64) -> (Child, String) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["serve", &auto_approve_secs.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut url = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut url)
        .unwrap();
    (child, url.trim().to_owned())
}

fn config(url: &str) -> Config {
    Config::builder("plex-pin bench", ClientId::new("bench-client").unwrap())
        .base_url(url)
        .build()
        .unwrap()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// This thread's time on a CPU so far (user and system), in ns; 0 where Linux's
/// schedstat is missing.
fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn report(name: &str, mut samples: Vec<Duration>, cpu_ns: u64) {
    let calls = samples.len();
    samples.sort();
    println!(
        "| {name:<28} | {calls:>6} | {:>9.1} µs | {:>9.1} µs | {:>9.1} µs |",
        percentile(&samples, 0.5).as_secs_f64() * 1e6,
        percentile(&samples, 0.99).as_secs_f64() * 1e6,
        cpu_ns as f64 / calls as f64 / 1e3
    );
}

fn round_trips(url: &str) {
    println!("Sequential check-pin round trips on loopback (one pooled connection):\n");
    println!(
        "| transport                    | calls  |    median    |     p99      | client CPU/call |"
    );
    println!(
        "|------------------------------|--------|--------------|--------------|-----------------|"
    );
    let client = plex_pin_ureq::Client::new(config(url)).unwrap();
    let create = || Call::create_pin(client.config(), &PinOptions::strong());
    let pin = client.call(create()).unwrap();
    let check = || Call::check_pin(client.config(), pin.id);
    for _ in 0..100 {
        client.call(check()).unwrap();
    }
    let cpu = thread_cpu_ns();
    let samples = (0..ROUND_TRIPS)
        .map(|_| {
            let start = Instant::now();
            client.call(check()).unwrap();
            start.elapsed()
        })
        .collect();
    report("plex-pin-ureq", samples, thread_cpu_ns() - cpu);

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = plex_pin_hyper::Client::new(config(url)).unwrap();
    let (samples, cpu_ns) = runtime.block_on(async {
        let create = Call::create_pin(client.config(), &PinOptions::strong());
        let pin = client.call(create).await.unwrap();
        let check = || Call::check_pin(client.config(), pin.id);
        for _ in 0..100 {
            client.call(check()).await.unwrap();
        }
        let mut samples = Vec::with_capacity(ROUND_TRIPS);
        let cpu = thread_cpu_ns();
        for _ in 0..ROUND_TRIPS {
            let start = Instant::now();
            client.call(check()).await.unwrap();
            samples.push(start.elapsed());
        }
        (samples, thread_cpu_ns() - cpu)
    });
    report("plex-pin-hyper (current_thread)", samples, cpu_ns);
    println!();
}

/// Peak resident set of a process, from /proc (Linux); `None` elsewhere.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Sockets this process has open (Linux); 0 elsewhere.
fn open_sockets() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |fds| {
        fds.filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
            .filter(|target| target.to_string_lossy().starts_with("socket:"))
            .count()
    })
}

fn pooled_connection_heap(url: &str, calls: usize) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = plex_pin_hyper::Client::builder(config(url))
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let (heap, connections) = runtime.block_on(async {
        let create = Call::create_pin(client.config(), &PinOptions::strong());
        let pin = client.call(create).await.unwrap();
        let (sockets, before) = (open_sockets(), alloc::current());
        let tasks: Vec<_> = (0..calls)
            .map(|_| {
                let client = client.clone();
                tokio::spawn(
                    async move { client.call(Call::check_pin(client.config(), pin.id)).await },
                )
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        let heap = alloc::current().saturating_sub(before);
        (heap, open_sockets().saturating_sub(sockets))
    });
    println!(
        "{calls} concurrent check-pin calls left {connections} more connections in the pool, \
         {:.1} KiB of client heap each\n",
        heap as f64 / connections.max(1) as f64 / 1024.0
    );
}

fn concurrent_logins(url: &str, logins: usize, runs: usize, emulator_pid: u32) {
    println!(
        "{logins} concurrent plex-pin-hyper logins in one process (1 s polls, approval after \
         5 s), {runs} runs:\n"
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let options = LoginOptions::default()
        .with_timeout(Duration::from_secs(60))
        .with_max_consecutive_failures(5);
    println!("| run | approved / started | wall time | heap while all pending | per pending login | connections open | client peak heap growth |");
    println!("|---|---|---|---|---|---|---|");
    let mut per_login = Vec::with_capacity(runs);
    let mut future_size = 0;
    for run in 1..=runs {
        let client = plex_pin_hyper::Client::builder(config(url))
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        future_size = std::mem::size_of_val(&client.login(options.clone(), |_, _| {}));
        let (before, sockets) = (alloc::current(), open_sockets());
        alloc::reset_peak();
        let started = Instant::now();
        let (ok, pending_heap, connections) = runtime.block_on(async {
            let tasks: Vec<_> = (0..logins)
                .map(|_| {
                    let (client, options) = (client.clone(), options.clone());
                    tokio::spawn(async move { client.login(options, |_, _| {}).await })
                })
                .collect();
            // All pins exist and every login waits for approval (which comes at 5 s).
            tokio::time::sleep(Duration::from_millis(3_500)).await;
            let pending_heap = alloc::current().saturating_sub(before);
            let connections = open_sockets().saturating_sub(sockets);
            let mut ok = 0usize;
            let mut first_error = None;
            for task in tasks {
                match task.await.unwrap() {
                    Ok(_) => ok += 1,
                    Err(e) => {
                        first_error.get_or_insert(e.to_string());
                    }
                }
            }
            if let Some(e) = first_error {
                println!("first error: {e}");
            }
            (ok, pending_heap, connections)
        });
        let wall = started.elapsed();
        let kib = pending_heap as f64 / logins as f64 / 1024.0;
        per_login.push(kib);
        println!(
            "| {run} | {ok} / {logins} | {:.2} s | {:.1} MiB | {kib:.1} KiB | {connections} | {:.1} MiB |",
            wall.as_secs_f64(),
            pending_heap as f64 / 1048576.0,
            alloc::peak_growth() as f64 / 1048576.0
        );
        // The pool's connections close with the client, before the next run.
        drop(client);
        runtime.block_on(async { tokio::time::sleep(Duration::from_millis(500)).await });
    }
    let min = per_login.iter().copied().fold(f64::INFINITY, f64::min);
    let max = per_login.iter().copied().fold(0.0, f64::max);
    println!();
    println!("| figure                                  | value        |");
    println!("|-----------------------------------------|--------------|");
    println!("| client heap per pending login, {runs} runs   | {min:.1}–{max:.1} KiB |");
    println!("| size of one login future (its state)    | {future_size} B        |");
    if let Some(kib) = peak_rss_kib(std::process::id()) {
        println!(
            "| client process peak RSS                 | {:.1} MiB     |",
            kib as f64 / 1024.0
        );
    }
    if let Some(kib) = peak_rss_kib(emulator_pid) {
        println!(
            "| emulator process peak RSS               | {:.1} MiB     |",
            kib as f64 / 1024.0
        );
    }
}
