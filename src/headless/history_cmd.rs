//! `swarmglass history export` and `history info`: read the store the config names (another
//! process recording into it is a clear error) and write series or a summary to stdout.

use std::io::{ErrorKind, Write};
use std::time::SystemTime;

use crate::cli::{ExportFormat, HistoryAction};
use crate::history::export::{self, Format, Request};
use crate::history::{History, HistorySettings, StoreInfo, from_unix_ms, unix_ms};

/// Run one `history` action, writing to `out`.
///
/// # Errors
/// When the store cannot be opened, an argument is malformed, or `out` fails other than by
/// being closed.
pub fn history_command(
    settings: &HistorySettings,
    action: &HistoryAction,
    now: SystemTime,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let history = History::open(settings)?;
    let written = match action {
        HistoryAction::Info { json } => {
            let info = history.store().info();
            let text = if *json {
                serde_json::to_string_pretty(&info)? + "\n"
            } else {
                render_info(&info)
            };
            out.write_all(text.as_bytes()).and_then(|()| out.flush())
        }
        HistoryAction::Export {
            since,
            until,
            step,
            matcher,
            format,
        } => {
            let to_ms = match until {
                Some(text) => crate::model::time_fmt::parse_iso8601(text)
                    .map(unix_ms)
                    .ok_or_else(|| {
                        anyhow::anyhow!(
                            "--until `{text}` is not a time; write it as RFC 3339, e.g. 2026-12-01T03:15:00Z"
                        )
                    })?,
                None => unix_ms(now),
            };
            let matcher = matcher
                .as_deref()
                .map(regex::Regex::new)
                .transpose()
                .map_err(|e| anyhow::anyhow!("--match is not a regular expression: {e}"))?;
            let req = Request {
                from_ms: to_ms - i64::try_from(since.as_millis()).unwrap_or(i64::MAX / 2),
                to_ms,
                step: *step,
                matcher,
                format: match format {
                    ExportFormat::Json => Format::Json,
                    ExportFormat::Csv => Format::Csv,
                },
            };
            let mut buf = std::io::BufWriter::new(out);
            match export::export(history.store(), &req, &mut buf) {
                Ok(n) => {
                    log::info!("history export: {n} series");
                    buf.flush()
                }
                Err(e) => match e.downcast::<std::io::Error>() {
                    Ok(io) => Err(io),
                    Err(other) => return Err(other),
                },
            }
        }
    };
    match written {
        Err(e) if e.kind() != ErrorKind::BrokenPipe => {
            Err(anyhow::anyhow!("cannot write to standard output: {e}"))
        }
        _ => Ok(()),
    }
}

fn render_info(i: &StoreInfo) -> String {
    let size = |b: u64| crate::format::size(Some(b));
    let when = |ms: Option<i64>| {
        ms.map_or_else(
            || "none".to_owned(),
            |ms| crate::format::timestamp(from_unix_ms(ms)),
        )
    };
    format!(
        "store:        {}\n\
         file size:    {} ({} on disk)\n\
         full tier:    {} in {} window(s) of 5 min\n\
         minute tier:  {} in {} hour(s)\n\
         series:       {}\n\
         oldest point: {}\n\
         newest point: {}\n",
        i.path.display(),
        size(i.file_bytes),
        size(i.disk_bytes),
        size(i.raw_bytes),
        i.raw_windows,
        size(i.minute_bytes),
        i.minute_hours,
        i.series,
        when(i.oldest_ms),
        when(i.newest_ms),
    )
}
