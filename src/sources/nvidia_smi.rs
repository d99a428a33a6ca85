//! Local GPUs through `nvidia-smi -q -x`, the fallback when NVML cannot be used directly.
//!
//! Owns: the pure [`parse`] of the XML report (`nvsmi_device_v11`/`v12` DTD layouts) into
//! [`GpuSample`]s, and the thin [`NvidiaSmiReader`] that runs the command with a timeout and a
//! size cap and plugs into the "nvml" thread as a [`GpuReader`].
//!
//! Must not: touch egui or the model, turn "N/A" into 0, or wait on a hung `nvidia-smi` forever.

use std::ffi::OsString;
use std::io::Read;
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use roxmltree::{Document, Node, ParsingOptions};

use crate::model::gpu::{GpuProcess, GpuSample};
use crate::model::input::SourceError;
use crate::sources::nvml::{GpuReader, MIG_ENABLED_LABEL};

/// Where a decode error says the XML came from.
const ORIGIN: &str = "nvidia-smi -q -x";

/// Most bytes of output read from `nvidia-smi` (a report is ~20 KiB per GPU).
pub const MAX_OUTPUT_BYTES: usize = 16 * 1024 * 1024;

/// Parse a `nvidia-smi -q -x` report: one sample per `<gpu>`, in document order.
///
/// `index` is the GPU's position in the report, which is NVML's enumeration order (the `gpu`
/// label of dcgm-exporter). `minor_number` (the `/dev/nvidiaN` number) is deliberately not
/// used: it can differ from the NVML index, and it is "N/A" on Windows. Values "N/A", "[N/A]",
/// "[Not Supported]" and anything else non-numeric become `None`. Processes of type `G`
/// (graphics only) are left out, like NVML's compute-process list.
///
/// # Errors
/// [`SourceError::Decode`] when the bytes are not UTF-8, not well-formed XML, or the root
/// element is not `<nvidia_smi_log>`.
pub fn parse(xml: &[u8]) -> Result<Vec<GpuSample>, SourceError> {
    let text = std::str::from_utf8(xml).map_err(|e| decode(format!("output is not UTF-8: {e}")))?;
    let options = ParsingOptions {
        allow_dtd: true,
        ..ParsingOptions::default()
    };
    let doc = Document::parse_with_options(text, options).map_err(|e| {
        decode(format!(
            "malformed XML: {e}; run `nvidia-smi -q -x` by hand to see the output"
        ))
    })?;
    let root = doc.root_element();
    if !root.has_tag_name("nvidia_smi_log") {
        return Err(decode(format!(
            "root element is <{}>, expected <nvidia_smi_log>; is this really `nvidia-smi -q -x` output?",
            root.tag_name().name()
        )));
    }
    Ok(root
        .children()
        .filter(|n| n.has_tag_name("gpu"))
        .zip(0..)
        .map(|(gpu, index)| gpu_sample(gpu, index))
        .collect())
}

fn decode(reason: String) -> SourceError {
    SourceError::Decode {
        url: ORIGIN.to_owned(),
        reason,
    }
}

/// Map one `<gpu>` element.
fn gpu_sample(gpu: Node<'_, '_>, index: u32) -> GpuSample {
    let mig_on =
        text(gpu, &["mig_mode", "current_mig"]).is_some_and(|m| m.eq_ignore_ascii_case("enabled"));
    let power_blocks = ["gpu_power_readings", "power_readings"];
    let power_w = first_number(
        gpu,
        &power_blocks,
        &["power_draw", "average_power_draw", "instant_power_draw"],
    );
    let power_limit_w = first_number(
        gpu,
        &power_blocks,
        &["enforced_power_limit", "current_power_limit", "power_limit"],
    );
    GpuSample {
        index: Some(index),
        uuid: text(gpu, &["uuid"]).map(str::to_owned),
        name: text(gpu, &["product_name"]).map(str::to_owned),
        mig: mig_on.then(|| MIG_ENABLED_LABEL.to_owned()),
        util_pct: number(gpu, &["utilization", "gpu_util"]),
        mem_used_bytes: bytes(gpu, &["fb_memory_usage", "used"]),
        mem_total_bytes: bytes(gpu, &["fb_memory_usage", "total"]),
        temp_c: number(gpu, &["temperature", "gpu_temp"]),
        power_w,
        power_limit_w,
        sm_clock_mhz: number(gpu, &["clocks", "sm_clock"]),
        mem_clock_mhz: number(gpu, &["clocks", "mem_clock"]),
        fan_pct: number(gpu, &["fan_speed"]),
        processes: processes(gpu),
    }
}

/// `<processes><process_info>…` minus graphics-only entries and entries without a PID.
fn processes(gpu: Node<'_, '_>) -> Vec<GpuProcess> {
    let Some(list) = child(gpu, &["processes"]) else {
        return Vec::new();
    };
    list.children()
        .filter(|n| n.has_tag_name("process_info"))
        .filter(|p| text(*p, &["type"]) != Some("G"))
        .filter_map(|p| {
            Some(GpuProcess {
                pid: text(p, &["pid"])?.parse().ok()?,
                used_bytes: bytes(p, &["used_memory"]),
                name: text(p, &["process_name"]).map(str::to_owned),
                server: None,
                model: None,
            })
        })
        .collect()
}

/// The element at `path` below `node` (first match at each step).
fn child<'a, 'i>(node: Node<'a, 'i>, path: &[&str]) -> Option<Node<'a, 'i>> {
    path.iter().try_fold(node, |at, name| {
        at.children().find(|c| c.has_tag_name(*name))
    })
}

/// Trimmed text at `path`, or `None` when absent, empty or a "not available" marker.
fn text<'a>(node: Node<'a, '_>, path: &[&str]) -> Option<&'a str> {
    let value = child(node, path)?.text()?.trim();
    let missing = value.is_empty()
        || value.starts_with('[')
        || value.eq_ignore_ascii_case("N/A")
        || value.eq_ignore_ascii_case("Not Supported")
        || value.eq_ignore_ascii_case("None");
    (!missing).then_some(value)
}

/// The leading number of `"82 %"`, `"45 C"`, `"301.23 W"`, `"1980 MHz"`.
fn number(node: Node<'_, '_>, path: &[&str]) -> Option<f64> {
    text(node, path)?
        .split_whitespace()
        .next()?
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
}

/// The first number found under any of `blocks` × `names`, blocks first.
fn first_number(node: Node<'_, '_>, blocks: &[&str], names: &[&str]) -> Option<f64> {
    blocks
        .iter()
        .flat_map(|block| names.iter().map(move |name| [*block, *name]))
        .find_map(|path| number(node, &path))
}

/// `"81559 MiB"` → bytes. Units B, KiB, MiB, GiB, TiB (and their SI look-alikes, which
/// `nvidia-smi` uses to mean the binary ones).
fn bytes(node: Node<'_, '_>, path: &[&str]) -> Option<u64> {
    let value = text(node, path)?;
    let mut parts = value.split_whitespace();
    let amount: u64 = parts.next()?.parse().ok()?;
    let scale: u64 = match parts.next().unwrap_or("B") {
        "B" => 1,
        "KiB" | "KB" => 1 << 10,
        "MiB" | "MB" => 1 << 20,
        "GiB" | "GB" => 1 << 30,
        "TiB" | "TB" => 1 << 40,
        _ => return None,
    };
    amount.checked_mul(scale)
}

/// [`GpuReader`] that runs `nvidia-smi -q -x` and [`parse`]s its output.
///
/// A missing binary, or one that exits non-zero (e.g. "NVIDIA-SMI has failed because it
/// couldn't communicate with the NVIDIA driver"), is [`SourceError::NvmlUnavailable`]: like a
/// missing NVML, it means "no local GPU access here", so the "nvml" thread reports it once and
/// ends when it happens at [`NvidiaSmiReader::open`]. A run past the timeout is killed and
/// reported as [`SourceError::Other`] (saying the GPU or driver may be hung).
#[derive(Debug)]
pub struct NvidiaSmiReader {
    program: OsString,
    args: Vec<OsString>,
    timeout: Duration,
    first: Option<Result<Vec<GpuSample>, SourceError>>,
}

impl NvidiaSmiReader {
    /// How long one `nvidia-smi` run may take before it is killed.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

    /// `nvidia-smi -q -x` from `PATH`, with [`Self::DEFAULT_TIMEOUT`]; nothing runs yet.
    #[must_use]
    pub fn new() -> Self {
        Self::with_command("nvidia-smi", ["-q", "-x"], Self::DEFAULT_TIMEOUT)
    }

    /// Any command whose standard output is a `nvidia-smi -q -x` report (another path to the
    /// binary, a wrapper such as `ssh host nvidia-smi -q -x`, or `cat` of a file in tests).
    #[must_use]
    pub fn with_command(
        program: impl Into<OsString>,
        args: impl IntoIterator<Item = impl Into<OsString>>,
        timeout: Duration,
    ) -> Self {
        Self {
            program: program.into(),
            args: args.into_iter().map(Into::into).collect(),
            timeout,
            first: None,
        }
    }

    /// Run the command once to check that it works; the result is what the first
    /// [`GpuReader::read`] returns.
    ///
    /// # Errors
    /// [`SourceError::NvmlUnavailable`] when the command is missing or fails (no GPU access on
    /// this machine); other failures (timeout, bad XML) are kept for the first read instead.
    pub fn open(mut self) -> Result<Self, SourceError> {
        match self.run() {
            Err(err @ SourceError::NvmlUnavailable(_)) => Err(err),
            other => {
                self.first = Some(other);
                Ok(self)
            }
        }
    }

    /// `NvidiaSmiReader::new().open()`, boxed: fits the `open` argument of
    /// [`super::nvml::spawn_gpu_thread`].
    ///
    /// # Errors
    /// As [`Self::open`].
    pub fn open_boxed() -> Result<Box<dyn GpuReader>, SourceError> {
        Ok(Box::new(Self::new().open()?))
    }

    /// The command as a user would type it, for messages.
    fn command_line(&self) -> String {
        std::iter::once(&self.program)
            .chain(&self.args)
            .map(|a| a.to_string_lossy())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Run once and parse.
    fn run(&self) -> Result<Vec<GpuSample>, SourceError> {
        parse(&self.output()?)
    }

    /// Run the command: its standard output, or why there is none.
    fn output(&self) -> Result<Vec<u8>, SourceError> {
        let cmd = self.command_line();
        let mut child = Command::new(&self.program)
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| self.spawn_error(&cmd, &e))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| SourceError::Other(format!("`{cmd}`: no stdout pipe")))?;
        // Drain stdout on a helper so a large report cannot fill the pipe and stall the child.
        let drain = std::thread::Builder::new()
            .name("nvidia-smi-out".to_owned())
            .spawn(move || read_capped(stdout))
            .map_err(|e| {
                SourceError::Other(format!("`{cmd}`: cannot start a reader thread: {e}"))
            })?;
        let status = self.wait(&mut child, &cmd)?;
        let out = match drain.join() {
            Ok(Ok(out)) => out,
            Ok(Err(e)) => {
                return Err(SourceError::Other(format!(
                    "`{cmd}`: cannot read its output: {e}"
                )));
            }
            Err(_) => {
                return Err(SourceError::Other(format!(
                    "`{cmd}`: output reader panicked"
                )));
            }
        };
        if !status.success() {
            let mut err = String::new();
            if let Some(mut stderr) = child.stderr.take()
                && let Err(e) = stderr.read_to_string(&mut err)
            {
                log::debug!("`{cmd}`: cannot read its stderr: {e}");
            }
            let said = first_line(&err).or_else(|| first_line(&String::from_utf8_lossy(&out)));
            return Err(SourceError::NvmlUnavailable(format!(
                "`{cmd}` failed ({status}): {}",
                said.unwrap_or_else(|| "no message".to_owned())
            )));
        }
        if out.len() > MAX_OUTPUT_BYTES {
            return Err(SourceError::BodyTooLarge {
                url: cmd,
                cap_bytes: MAX_OUTPUT_BYTES,
            });
        }
        Ok(out)
    }

    /// Why the command could not be started.
    fn spawn_error(&self, cmd: &str, e: &std::io::Error) -> SourceError {
        SourceError::NvmlUnavailable(if e.kind() == std::io::ErrorKind::NotFound {
            format!(
                "`{}` not found on PATH; install the NVIDIA driver (it ships nvidia-smi) or turn \
                 the local GPU source off",
                self.program.to_string_lossy()
            )
        } else {
            format!("cannot run `{cmd}`: {e}")
        })
    }

    /// Wait for the child until the timeout, then kill it.
    fn wait(&self, child: &mut Child, cmd: &str) -> Result<ExitStatus, SourceError> {
        let deadline = Instant::now() + self.timeout;
        loop {
            match child.try_wait() {
                Ok(Some(status)) => return Ok(status),
                Ok(None) if Instant::now() >= deadline => {
                    if let Err(e) = child.kill().and_then(|()| child.wait().map(|_| ())) {
                        log::warn!("`{cmd}` timed out and could not be killed: {e}");
                    }
                    return Err(SourceError::Other(format!(
                        "`{cmd}` gave no answer within {} ms and was killed; the GPU or its driver \
                         may be hung: run `nvidia-smi` by hand to check",
                        self.timeout.as_millis()
                    )));
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                Err(e) => {
                    return Err(SourceError::Other(format!(
                        "`{cmd}`: cannot wait for it: {e}"
                    )));
                }
            }
        }
    }
}

/// Up to [`MAX_OUTPUT_BYTES`] + 1 bytes (one more tells "too large"); the rest is read and
/// thrown away so the child can finish.
fn read_capped(stdout: ChildStdout) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    let mut limited = stdout.take(MAX_OUTPUT_BYTES as u64 + 1);
    limited.read_to_end(&mut buf)?;
    std::io::copy(&mut limited.into_inner(), &mut std::io::sink())?;
    Ok(buf)
}

impl Default for NvidiaSmiReader {
    fn default() -> Self {
        Self::new()
    }
}

impl GpuReader for NvidiaSmiReader {
    fn read(&mut self) -> Result<Vec<GpuSample>, SourceError> {
        let mut gpus = self.first.take().unwrap_or_else(|| self.run())?;
        // What each process serves, from its command line (as NVML's reader does).
        for p in gpus.iter_mut().flat_map(|g| g.processes.iter_mut()) {
            if let Some(s) = crate::sources::procs::of_pid(p.pid) {
                p.server = Some(s.server.to_owned());
                p.model = s.model;
            }
        }
        Ok(gpus)
    }
}

/// First non-blank line, at most 200 characters.
fn first_line(s: &str) -> Option<String> {
    s.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(|l| l.chars().take(200).collect())
}
