//! One refresh of a fleet through a real Prometheus server (Debian's `prometheus` 2.42): the
//! fleet — N nodes × 8 dcgm-exporter GPUs and one vLLM server each, every 15 s for 5 minutes —
//! is written as OpenMetrics by `benches/fleet_om.py`, backfilled with `promtool tsdb
//! create-blocks-from openmetrics`, and served by `prometheus` on 127.0.0.1; then
//! `PromServer::refresh_timed` (the source's own code: every query, the decoding and the
//! assembly) is timed at the fleet's last moment. Prints a table: nodes, queries per refresh,
//! series answered, targets, GPUs, refresh median and p95 (target: ≤ 200 ms at 1,000 × 8, with
//! the number of queries independent of the node count), the time after the last answer, and
//! both processes' CPU per refresh; then the slowest queries run alone, and the slowest plus
//! the time after the last answer: what a refresh lasts where the server runs them side by side.
//!
//! `cargo bench --bench fleet_query`: 100 and 1,000 nodes, 15 timed refreshes each. Under
//! `cargo test` it runs 10 nodes once, as a smoke test (skipped, visibly, without the tools).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::cast_precision_loss)]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use swarmglass::sources::http;
use swarmglass::sources::promserver::{PromServer, queries};

const GPUS: usize = 8;

struct Prom(Child);

impl Drop for Prom {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(self.0.id().to_string()).status();
        let _ = self.0.wait();
    }
}

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

struct Row {
    nodes: usize,
    queries: usize,
    series: usize,
    targets: usize,
    gpus: usize,
    median: Duration,
    /// From the last answer to the refresh's end (decoding it, assembling), median.
    tail: Duration,
    p95: Duration,
    backfill: Duration,
    /// CPU per timed refresh: Prometheus's and this process's (user + system).
    cpu_prom: Duration,
    cpu_self: Duration,
    /// The slowest queries alone: (time, role, series).
    slowest: Vec<(Duration, String, usize)>,
}

/// User + system CPU of a process so far, from `/proc/PID/stat` (clock ticks of 10 ms).
fn cpu_of(pid: &str) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command's closing parenthesis; utime and stime are the 12th and 13th.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<u64> = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|x| x.parse().ok())
        .collect();
    Duration::from_millis(f.iter().sum::<u64>() * 10)
}

fn run(rt: &tokio::runtime::Runtime, nodes: usize, rounds: usize) -> Row {
    let dir = tempfile::tempdir().unwrap();
    let end = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let om = dir.path().join("fleet.om");
    let t0 = Instant::now();
    let out = Command::new("python3")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/benches/fleet_om.py"))
        .args([
            nodes.to_string(),
            GPUS.to_string(),
            "5".into(),
            end.to_string(),
        ])
        .stdout(std::fs::File::create(&om).unwrap())
        .status()
        .unwrap();
    assert!(out.success());
    let data = dir.path().join("data");
    let out = Command::new("promtool")
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(&om)
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let backfill = t0.elapsed();
    let _ = std::fs::remove_file(&om);
    let cfg = dir.path().join("prometheus.yml");
    std::fs::write(
        &cfg,
        "global:\n  scrape_interval: 15s\nscrape_configs: []\n",
    )
    .unwrap();
    let port = free_port();
    let prom = Prom(
        Command::new("prometheus")
            .arg(format!("--config.file={}", cfg.display()))
            .arg(format!("--storage.tsdb.path={}", data.display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let server = PromServer {
        timeout: Duration::from_secs(60),
        max_series: 10_000_000,
        max_body_bytes: 1 << 30,
        ..PromServer::new(&format!("http://127.0.0.1:{port}"))
    };
    let client = http::client().unwrap();
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(end);
    rt.block_on(async {
        // Ready when the backfilled block answers.
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if server
                .instant(&client, "count(up) or vector(0)", Some(at))
                .await
                .is_ok()
                && server
                    .instant(&client, "count(DCGM_FI_DEV_GPU_UTIL)", Some(at))
                    .await
                    .is_ok_and(|v| v.first().is_some_and(|s| s.value >= (nodes * GPUS) as f64))
            {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "prometheus did not load the backfilled fleet"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let queries = queries::refresh(server.window, &server.matchers);
        let mut series = 0;
        let mut each = Vec::new();
        for q in &queries {
            let t = Instant::now();
            let n = server
                .instant(&client, &q.promql, Some(at))
                .await
                .unwrap()
                .len();
            each.push((t.elapsed(), format!("{:?}", q.role), n));
            series += n;
        }
        each.sort_by_key(|e| std::cmp::Reverse(e.0));
        let (mut times, mut tails) = (Vec::new(), Vec::new());
        let mut targets = server.refresh_at(&client, Some(at)).await.unwrap(); // warm-up
        let prom_pid = prom.0.id().to_string();
        let (prom0, self0) = (cpu_of(&prom_pid), cpu_of("self"));
        for _ in 0..rounds {
            let t = Instant::now();
            let (got, tail) = server.refresh_timed(&client, Some(at)).await.unwrap();
            times.push(t.elapsed());
            tails.push(tail);
            targets = got;
        }
        tails.sort();
        let per = |d: Duration| d / u32::try_from(rounds).unwrap();
        let (cpu_prom, cpu_self) = (per(cpu_of(&prom_pid) - prom0), per(cpu_of("self") - self0));
        times.sort();
        let gpus = targets
            .iter()
            .filter_map(|t| t.result.as_ref().ok())
            .map(|d| d.scrape.gpus.len())
            .sum();
        let with_figures = targets
            .iter()
            .filter_map(|t| t.result.as_ref().ok())
            .flat_map(|d| d.inference.iter())
            .filter(|i| i.gen_tps.is_some() && i.ttft.p95_s.is_some())
            .count();
        assert_eq!(with_figures, nodes, "every server's rates and quantiles");
        Row {
            nodes,
            queries: queries.len(),
            series,
            targets: targets.len(),
            gpus,
            median: times[times.len() / 2],
            tail: tails[tails.len() / 2],
            p95: times[(times.len() * 95 / 100).min(times.len() - 1)],
            backfill,
            cpu_prom,
            cpu_self,
            slowest: each.into_iter().take(4).collect(),
        }
    })
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    for tool in ["python3", "promtool", "prometheus"] {
        if !have(tool) {
            println!("SKIPPED: {tool} not installed (apt-get install -y prometheus python3)");
            return;
        }
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    // FLEET_NODES=1000 picks the sizes of a full run.
    let chosen: Vec<usize> = std::env::var("FLEET_NODES")
        .ok()
        .map(|v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![100, 1000]);
    let (sizes, rounds): (&[usize], usize) = if full { (&chosen, 15) } else { (&[10], 1) };
    println!(
        "One refresh through Prometheus 2.42 (backfilled fleet, {GPUS} GPUs + 1 vLLM per node, 1m window)\n"
    );
    println!(
        "| nodes | GPUs | queries per refresh | series answered | targets | refresh median (ms) | refresh p95 (ms) | after the last answer (ms) | Prometheus CPU per refresh (ms) | Swarmglass CPU per refresh (ms) | generate + backfill (s) |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut notes = Vec::new();
    for &n in sizes {
        let r = run(&rt, n, rounds);
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let slowest = r.slowest.first().map_or(Duration::ZERO, |s| s.0);
        notes.push(format!(
            "{} nodes: on a server with the cores to run the queries side by side, a refresh lasts about its slowest query alone plus what follows the last answer: {:.0} + {:.0} = {:.0} ms",
            r.nodes,
            ms(slowest),
            ms(r.tail),
            ms(slowest + r.tail),
        ));
        notes.push(format!(
            "{} nodes, slowest queries run alone: {}",
            r.nodes,
            r.slowest
                .iter()
                .map(|(t, role, n)| format!(
                    "{role} {:.0} ms ({n} series)",
                    t.as_secs_f64() * 1000.0
                ))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        println!(
            "| {} | {} | {} | {} | {} | {:.1} | {:.1} | {:.1} | {:.0} | {:.0} | {:.1} |",
            r.nodes,
            r.gpus,
            r.queries,
            r.series,
            r.targets,
            r.median.as_secs_f64() * 1000.0,
            r.p95.as_secs_f64() * 1000.0,
            r.tail.as_secs_f64() * 1000.0,
            r.cpu_prom.as_secs_f64() * 1000.0,
            r.cpu_self.as_secs_f64() * 1000.0,
            r.backfill.as_secs_f64()
        );
    }
    println!();
    for n in notes {
        println!("{n}");
    }
}
