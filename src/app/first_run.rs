//! Carrying out what the first-run screen asks (`ui::first_run`): the demo started in this
//! process, discovery on a thread of its own (the window never waits on the network), a config
//! file written from what was found or from one source — checked by the same rules and with the
//! same messages as any config file — and the config file opened in the system's editor. Every
//! way ends in [`App::switch_to`]: the new sources monitored at once, no restart.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, SystemTime};

use super::App;
use crate::cli::SourceArgs;
use crate::config::{self, Base};
use crate::sources::discover::{self, Report};

/// Hosts asked and what discovery found on them.
pub(super) type Discovered = (Vec<String>, Report);
use crate::ui::first_run::{AddKind, FirstRunAction, FirstRunState};
use crate::ui::theme::Level;

/// How long discovery waits for each port.
const DISCOVERY_TIMEOUT: Duration = Duration::from_millis(800);

/// What start-up knows when the window opens on nothing: no config file, nothing found here.
#[derive(Debug, Clone)]
pub struct FirstRun {
    /// Where the config file is read from.
    pub config_path: Option<PathBuf>,
    /// What discovery looked for.
    pub searched: String,
}

impl FirstRun {
    /// The screen's state for it.
    #[must_use]
    pub fn state(&self) -> FirstRunState {
        FirstRunState {
            config_path: self.config_path.clone(),
            searched: self.searched.clone(),
            ..FirstRunState::default()
        }
    }
}

/// The config text for one source of `kind` at `url` (the URL quoted as TOML quotes it).
#[must_use]
pub fn one_source_toml(kind: AddKind, url: &str) -> String {
    format!(
        "# Written by Swarmglass's first-run screen; every key: see the README's Configuration.\n\n[[{}]]\nurl = {}\n",
        kind.table(),
        toml::Value::String(url.to_owned())
    )
}

/// The example config with every setting commented out: a file to start from that monitors
/// nothing until a line is uncommented.
#[must_use]
pub fn starter_toml() -> String {
    let example = include_str!("../../config/swarmglass.example.toml");
    let mut out = String::from(
        "# Swarmglass config. Remove the leading \"# \" of the lines you want, save, and restart\n# the window (or use its first-run screen). Every key is explained in the README.\n\n",
    );
    for line in example.lines() {
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            out.push_str(line);
        } else {
            out.push_str("# ");
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

/// Write `text` as a new config file at `path` (its folders made); never over an existing one.
///
/// # Errors
/// The file exists already, or it cannot be written (the message says which and what to do).
pub fn write_new(path: &Path, text: &str) -> Result<(), String> {
    if path.exists() {
        return Err(format!(
            "{} exists already: open it and add the source there",
            path.display()
        ));
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| {
            format!(
                "cannot create {}: {e}; check its permissions",
                dir.display()
            )
        })?;
    }
    std::fs::write(path, text).map_err(|e| {
        format!(
            "cannot write {}: {e}; check its permissions",
            path.display()
        )
    })
}

impl App<'_> {
    /// Carry out what the first-run screen asked.
    pub(super) fn first_run_action(&mut self, action: FirstRunAction, ctx: &egui::Context) {
        let result = match action {
            FirstRunAction::OpenDemo => self.open_demo(ctx),
            FirstRunAction::Discover(hosts) => {
                self.start_discovery(hosts, ctx);
                Ok(None)
            }
            FirstRunAction::UseFound => self.use_found(ctx),
            FirstRunAction::AddSource { kind, url } => self.add_source(kind, &url, ctx),
            FirstRunAction::OpenConfigFile => self.open_config_file(),
        };
        if let Some(st) = &mut self.state.first_run {
            st.message = match result {
                Ok(None) => None,
                Ok(Some(done)) => Some((Level::Ok, done)),
                Err(e) => Some((Level::Crit, e)),
            };
        }
    }

    /// Take in a finished discovery, if one is.
    pub(super) fn poll_discovery(&mut self) {
        let Some(rx) = &self.discovery else {
            return;
        };
        let Ok((hosts, report)) = rx.try_recv() else {
            return;
        };
        self.discovery = None;
        if let Some(st) = &mut self.state.first_run {
            st.discovering = false;
            st.found = Some((report.summary(), report.found.len()));
        }
        self.found = Some((hosts, report));
    }

    fn start_discovery(&mut self, hosts: Vec<String>, ctx: &egui::Context) {
        let hosts = if hosts.is_empty() {
            vec!["localhost".to_owned()]
        } else {
            hosts
        };
        let (tx, rx) = mpsc::channel();
        let ctx = ctx.clone();
        let spawned = std::thread::Builder::new()
            .name("discover".into())
            .spawn(move || {
                let report = discover::discover_blocking(&hosts, DISCOVERY_TIMEOUT);
                if tx.send((hosts, report)).is_ok() {
                    ctx.request_repaint();
                }
            });
        match spawned {
            Ok(_) => {
                self.discovery = Some(rx);
                if let Some(st) = &mut self.state.first_run {
                    st.discovering = true;
                    st.found = None;
                }
            }
            Err(e) => log::warn!("cannot start discovery: {e}"),
        }
    }

    fn open_demo(&mut self, ctx: &egui::Context) -> Result<Option<String>, String> {
        let demo = super::DemoCluster::start(crate::sim::SimOptions::default())
            .map_err(|e| format!("cannot start the demo: {e}"))?;
        let args = SourceArgs {
            data_dir: crate::history::default_dir().map(|d| d.join("demo")),
            ..SourceArgs::default()
        };
        let cfg = config::resolve(Base::Text(&demo.config_toml()), &args, &config::process_env)
            .map_err(|e| e.to_string())?;
        self.switch_to(cfg, Some(demo), ctx)?;
        Ok(None)
    }

    fn use_found(&mut self, ctx: &egui::Context) -> Result<Option<String>, String> {
        let (hosts, report) = self.found.as_ref().ok_or("discover first")?;
        let text = report.config_toml(hosts, SystemTime::now());
        self.save_and_switch(&text, ctx)
    }

    fn add_source(
        &mut self,
        kind: AddKind,
        url: &str,
        ctx: &egui::Context,
    ) -> Result<Option<String>, String> {
        if url.is_empty() {
            return Err(format!("type the URL first, e.g. {}", kind.example()));
        }
        self.save_and_switch(&one_source_toml(kind, url), ctx)
    }

    /// Check `text` as a config, write it as the config file, and monitor it.
    fn save_and_switch(
        &mut self,
        text: &str,
        ctx: &egui::Context,
    ) -> Result<Option<String>, String> {
        let cfg = self.config_from_text(text)?;
        let path = config::default_path()
            .ok_or("this platform has no config directory: start with --config PATH")?;
        write_new(&path, text)?;
        self.switch_to(cfg, None, ctx)?;
        Ok(None)
    }

    fn open_config_file(&mut self) -> Result<Option<String>, String> {
        let path = config::default_path()
            .ok_or("this platform has no config directory: start with --config PATH")?;
        if !path.exists() {
            write_new(&path, &starter_toml())?;
        }
        open::that_detached(&path).map_err(|e| {
            format!(
                "cannot open {} ({e}): open it in an editor yourself",
                path.display()
            )
        })?;
        Ok(Some(format!(
            "opened {} — restart the window once it lists your sources",
            path.display()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    /// What the window does with a text it writes (`App::config_from_text`, no flags given).
    fn check(text: &str) -> Result<Config, String> {
        config::resolve(Base::Text(text), &SourceArgs::default(), &|_| None)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn one_source_is_a_config_the_check_accepts_and_a_bad_url_gets_the_checks_words() {
        let cfg = check(&one_source_toml(
            AddKind::Metrics,
            "http://10.0.0.5:8000/metrics",
        ))
        .unwrap();
        assert_eq!(cfg.prometheus.len(), 1);
        assert_eq!(cfg.prometheus[0].url, "http://10.0.0.5:8000/metrics");
        let cfg = check(&one_source_toml(AddKind::Ollama, "http://h:11434")).unwrap();
        assert_eq!(cfg.ollama.len(), 1);
        // A quote in the URL stays inside the TOML string.
        let bad = check(&one_source_toml(AddKind::Status, "not a \"url\"")).unwrap_err();
        let problems =
            config::from_toml_str("[[status]]\nurl = 'not a \"url\"'\n", &|_| None).unwrap_err();
        let same = config::ConfigError::Invalid {
            path: None,
            problems,
        }
        .to_string();
        assert_eq!(bad, same, "the same words as the file's check");
        assert!(bad.contains("status[0].url"), "{bad}");
    }

    #[test]
    fn the_starter_file_is_the_example_commented_out_and_monitors_nothing() {
        let text = starter_toml();
        let cfg = check(&text).unwrap();
        assert!(cfg.prometheus.is_empty() && cfg.status.is_empty() && cfg.ollama.is_empty());
        assert!(text.contains("# [[prometheus]]"));
        let uncommented = text.replace("\n# [nvml]", "\n[nvml]");
        assert!(
            check(&uncommented).is_ok(),
            "a section uncommented still reads"
        );
    }

    #[test]
    fn a_config_file_is_never_written_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("swarmglass.toml");
        write_new(&path, "# one\n").unwrap();
        let e = write_new(&path, "# two\n").unwrap_err();
        assert!(e.contains("exists already"), "{e}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "# one\n");
    }
}
