//! This machine's CPU, memory and disks, as the agent reports them: `/proc/stat`,
//! `/proc/meminfo` and `statvfs(3)` on Linux (the agent's platform: GPU nodes); elsewhere every
//! figure is `None` (n/a), never a made-up one.

use std::path::{Path, PathBuf};

use crate::sources::agent_metrics::HostReading;

/// Read every host figure; `disks` are the mount points to report.
#[must_use]
pub fn read(disks: &[PathBuf]) -> HostReading {
    let (cpu_total_s, cpu_idle_s) = cpu().unzip();
    let (mem_total_bytes, mem_available_bytes) = memory();
    HostReading {
        cpu_total_s,
        cpu_idle_s,
        mem_total_bytes,
        mem_available_bytes,
        disks: disks
            .iter()
            .filter_map(|d| disk(d).map(|(t, a)| (d.display().to_string(), t, a)))
            .collect(),
    }
}

/// `(total, idle)` CPU seconds from the first line of `/proc/stat` (`cpu user nice system
/// idle iowait irq softirq steal …`, in clock ticks; guest time is already in user time).
#[must_use]
pub fn parse_stat(text: &str, ticks_per_s: f64) -> Option<(f64, f64)> {
    let line = text.lines().find(|l| l.starts_with("cpu "))?;
    let v: Vec<f64> = line
        .split_whitespace()
        .skip(1)
        .take(8)
        .map(|x| x.parse::<f64>().ok())
        .collect::<Option<_>>()?;
    if v.len() < 5 || ticks_per_s <= 0.0 {
        return None;
    }
    let total: f64 = v.iter().sum();
    let idle = v[3] + v[4];
    Some((total / ticks_per_s, idle / ticks_per_s))
}

/// `(MemTotal, MemAvailable)` in bytes from `/proc/meminfo` (given in kB).
#[must_use]
pub fn parse_meminfo(text: &str) -> (Option<u64>, Option<u64>) {
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
            .map(|kb| kb.saturating_mul(1024))
    };
    (field("MemTotal:"), field("MemAvailable:"))
}

#[cfg(target_os = "linux")]
fn cpu() -> Option<(f64, f64)> {
    #[allow(clippy::cast_precision_loss)]
    let ticks = rustix::param::clock_ticks_per_second() as f64;
    parse_stat(&std::fs::read_to_string("/proc/stat").ok()?, ticks)
}

#[cfg(not(target_os = "linux"))]
fn cpu() -> Option<(f64, f64)> {
    None
}

#[cfg(target_os = "linux")]
fn memory() -> (Option<u64>, Option<u64>) {
    std::fs::read_to_string("/proc/meminfo").map_or((None, None), |t| parse_meminfo(&t))
}

#[cfg(not(target_os = "linux"))]
fn memory() -> (Option<u64>, Option<u64>) {
    (None, None)
}

/// `(total, available)` bytes of the file system holding `path`.
#[cfg(unix)]
fn disk(path: &Path) -> Option<(u64, u64)> {
    let st = rustix::fs::statvfs(path).ok()?;
    Some((
        st.f_blocks.saturating_mul(st.f_frsize),
        st.f_bavail.saturating_mul(st.f_frsize),
    ))
}

#[cfg(not(unix))]
fn disk(_path: &Path) -> Option<(u64, u64)> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_stat_gives_total_and_idle_seconds() {
        let text =
            "cpu  1000 20 300 5000 100 0 30 0 0 0\ncpu0 500 10 150 2500 50 0 15 0 0 0\nintr 1\n";
        assert_eq!(parse_stat(text, 100.0), Some((64.5, 51.0)));
        assert_eq!(parse_stat("intr 1\n", 100.0), None);
        assert_eq!(parse_stat("cpu  a b c d e\n", 100.0), None);
    }

    #[test]
    fn meminfo_in_bytes() {
        let text = "MemTotal:       65536000 kB\nMemFree:  1 kB\nMemAvailable:   32768000 kB\n";
        assert_eq!(
            parse_meminfo(text),
            (Some(65_536_000 * 1024), Some(32_768_000 * 1024))
        );
        assert_eq!(parse_meminfo(""), (None, None));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_machine_is_readable() {
        let h = read(&[PathBuf::from("/")]);
        let (t, i) = (h.cpu_total_s.unwrap_or(0.0), h.cpu_idle_s.unwrap_or(-1.0));
        assert!(t > 0.0 && i >= 0.0 && i <= t, "{h:?}");
        assert!(h.mem_available_bytes <= h.mem_total_bytes && h.mem_total_bytes > Some(0));
        let (_, total, avail) = h.disks.first().cloned().unwrap_or_default();
        assert!(total > 0 && avail <= total, "{h:?}");
    }
}
