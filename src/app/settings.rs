//! Carrying out what the settings window asks (`ui::settings`): the config file read into an
//! editable document, a checked document saved and monitored at once ([`App::switch_to`], the
//! alert settings taken by the running engine), and "Test": one source polled on a thread of
//! its own for a few seconds through the same collector as everything else, its result told in
//! `snapshot`'s words.

use std::sync::mpsc;
use std::time::{Duration, SystemTime};

use super::App;
use crate::config::edit::ConfigDoc;
use crate::config::{self, Config};
use crate::ui::settings::SettingsAction;
use crate::ui::theme::Level;

/// How long a test polls its source.
pub const TEST_FOR: Duration = Duration::from_secs(3);

/// The config of one entry of `[[table]]` in `doc` alone: nothing else polled, no history, no
/// local GPUs, no alerts sent.
///
/// # Errors
/// The entry has problems (in the file check's words).
pub fn config_of_one(doc: &ConfigDoc, table: &str, index: usize) -> Result<Config, String> {
    let mut one = ConfigDoc::parse(
        "[nvml]\nenabled = false\n\n[history]\nenabled = false\n",
        None,
    )?;
    doc.copy_entry_to(table, index, &mut one);
    one.check(&config::process_env).map_err(|problems| {
        config::ConfigError::Invalid {
            path: None,
            problems,
        }
        .to_string()
    })
}

/// Poll `cfg` for [`TEST_FOR`] and say what came back, as `snapshot` says it.
#[must_use]
pub fn test_report(cfg: &Config) -> String {
    let stop = crate::signals::StopRequest::default();
    match crate::headless::collect(cfg, TEST_FOR, &stop) {
        Ok((model, engine)) => {
            let snap = crate::headless::snapshot_of(&model, &engine, SystemTime::now());
            crate::headless::render_text(&snap)
        }
        Err(e) => format!("could not poll it: {e:#}"),
    }
}

impl App<'_> {
    /// Carry out what the settings window asked.
    pub(super) fn settings_action(&mut self, action: SettingsAction, ctx: &egui::Context) {
        match action {
            SettingsAction::Open => {
                let loaded = match &self.config_path {
                    Some(path) => ConfigDoc::load(path),
                    None => Err("this window runs on the demo's built-in config, not a file: start with --config PATH to edit one".to_owned()),
                };
                match loaded {
                    Ok(doc) => self.state.settings.load(doc, &config::process_env),
                    Err(e) => {
                        // An empty document keeps the window usable; the message says why.
                        if let Ok(doc) = ConfigDoc::parse("", None) {
                            self.state.settings.load(doc, &config::process_env);
                        }
                        self.state.settings.message = Some((Level::Crit, e));
                    }
                }
            }
            SettingsAction::Apply(doc) => {
                let result = self.config_from_text(&doc.text()).and_then(|cfg| {
                    doc.save()?;
                    let now = SystemTime::now();
                    self.alerting.reconfigure(&cfg.alerts, &mut self.model, now);
                    self.state.wall_settings = cfg.wall.clone();
                    self.switch_to(cfg, None, ctx)
                });
                let st = &mut self.state.settings;
                st.message = Some(match result {
                    Ok(()) => {
                        st.dirty = false;
                        st.doc = Some(*doc);
                        (Level::Ok, "saved and applied".to_owned())
                    }
                    Err(e) => (Level::Crit, e),
                });
            }
            SettingsAction::Test { table, index, doc } => {
                let (tx, rx) = mpsc::channel();
                let ctx = ctx.clone();
                let spawned = std::thread::Builder::new()
                    .name("settings-test".into())
                    .spawn(move || {
                        let report = match config_of_one(&doc, &table, index) {
                            Ok(cfg) => test_report(&cfg),
                            Err(e) => e,
                        };
                        if tx.send((table, index, report)).is_ok() {
                            ctx.request_repaint();
                        }
                    });
                match spawned {
                    Ok(_) => self.settings_test = Some(rx),
                    Err(e) => {
                        self.state.settings.message =
                            Some((Level::Crit, format!("cannot start the test: {e}")));
                    }
                }
            }
        }
    }

    /// Take in a finished test, if one is.
    pub(super) fn poll_settings_test(&mut self) {
        let Some(rx) = &self.settings_test else {
            return;
        };
        if let Ok((table, index, report)) = rx.try_recv() {
            self.settings_test = None;
            self.state.settings.test = Some((table, index, Some(report)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_test_polls_that_one_source_alone() {
        let doc = ConfigDoc::parse(
            "[[prometheus]]\nurl = \"http://10.0.0.5:8000/metrics\"\ninterval = \"1s\"\nnode = \"42\"\n\n[[status]]\nurl = \"http://10.0.0.5:9199/status\"\n",
            None,
        )
        .unwrap();
        let cfg = config_of_one(&doc, "status", 0).unwrap();
        assert_eq!(cfg.status.len(), 1);
        assert!(cfg.prometheus.is_empty(), "nothing else is polled");
        assert!(!cfg.nvml.enabled && !cfg.history.enabled);
        let cfg = config_of_one(&doc, "prometheus", 0).unwrap();
        assert_eq!(cfg.prometheus[0].interval, Duration::from_secs(1));
        assert_eq!(cfg.prometheus[0].node, "42", "values keep their type");
        let bad = ConfigDoc::parse("[[status]]\nurl = \"nope\"\n", None).unwrap();
        let e = config_of_one(&bad, "status", 0).unwrap_err();
        assert!(e.contains("status[0].url"), "{e}");
    }

    #[test]
    fn a_test_of_a_closed_port_says_it_is_down_in_snapshot_words() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let doc = ConfigDoc::parse(
            &format!("[[prometheus]]\nurl = \"http://127.0.0.1:{port}/metrics\"\n"),
            None,
        )
        .unwrap();
        let report = test_report(&config_of_one(&doc, "prometheus", 0).unwrap());
        assert!(report.contains("Nodes:"), "{report}");
        assert!(report.contains("down"), "{report}");
    }
}
