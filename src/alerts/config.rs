//! The `[alerts]` config section → [`AlertsConfig`]. Like the rest of the config, the TOML is
//! walked by hand so that every problem (unknown keys included) is reported at once with its key
//! path and a hint. Webhook URLs come from environment variables (`url_env`), never from the file.
//!
//! ```toml
//! [alerts]
//! desktop = true                       # freedesktop notifications (default true)
//!
//! [alerts.rules.gpu_temp_high]         # override a built-in rule by name
//! enabled = true
//! threshold = 90                       # threshold rules only, in the metric's unit
//! hysteresis = 3                       # threshold rules only
//! for = "1m"                           # "0s" fires at once
//! severity = "warning"                 # or "critical"
//!
//! [[alerts.webhook]]
//! kind = "discord"                     # "discord" | "slack" | "json"
//! url_env = "DISCORD_WEBHOOK_URL"      # the variable holding the URL (it contains a token)
//! timeout = "5s"                       # per try (default 5s)
//! tries = 3                            # in all, with backoff (default 3)
//! ```

use std::time::Duration;

use toml::{Table, Value};

use super::Severity;
use super::notify::{DEFAULT_QUEUE, NotifyConfig};
use super::rules::{Rule, RuleKind, RuleSet};
use super::webhook::{SecretUrl, Webhook, WebhookKind};
use crate::config::ConfigProblem;

/// The validated `[alerts]` section.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertsConfig {
    /// Desktop notifications over the D-Bus session bus.
    pub desktop: bool,
    /// The rules: built-in defaults with the overrides applied.
    pub rules: RuleSet,
    /// Webhooks (URLs read from the environment, redacted in `Debug`).
    pub webhooks: Vec<Webhook>,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        Self {
            desktop: true,
            rules: RuleSet::defaults(),
            webhooks: Vec::new(),
        }
    }
}

impl AlertsConfig {
    /// What the [`Notifier`](super::notify::Notifier) needs.
    #[must_use]
    pub fn notify_config(&self) -> NotifyConfig {
        NotifyConfig {
            desktop: self.desktop,
            webhooks: self.webhooks.clone(),
            queue: DEFAULT_QUEUE,
        }
    }
}

const ALERTS_KEYS: &[&str] = &["desktop", "rules", "webhook"];
const RULE_KEYS: &[&str] = &["enabled", "threshold", "hysteresis", "for", "severity"];
const WEBHOOK_KEYS: &[&str] = &["kind", "url_env", "timeout", "tries"];

struct Walker<'e> {
    problems: Vec<ConfigProblem>,
    env: &'e dyn Fn(&str) -> Option<String>,
}

impl Walker<'_> {
    fn problem(&mut self, key: &str, message: impl Into<String>, hint: impl Into<String>) {
        self.problems.push(ConfigProblem {
            key: key.to_owned(),
            message: message.into(),
            hint: hint.into(),
        });
    }

    fn unknown_keys(&mut self, t: &Table, prefix: &str, known: &[&str]) {
        for k in t.keys().filter(|k| !known.contains(&k.as_str())) {
            let hint = if k == "url" && known.contains(&"url_env") {
                "webhook URLs hold tokens: put the URL in an environment variable and name it in `url_env`".to_owned()
            } else {
                format!("known keys here: {}", known.join(", "))
            };
            self.problem(&format!("{prefix}.{k}"), "unknown key", hint);
        }
    }

    fn string(&mut self, t: &Table, prefix: &str, k: &str) -> Option<String> {
        match t.get(k)? {
            Value::String(s) => Some(s.clone()),
            other => {
                self.problem(
                    &format!("{prefix}.{k}"),
                    format!("expected a string, found {}", other.type_str()),
                    "quote the value",
                );
                None
            }
        }
    }

    fn boolean(&mut self, t: &Table, prefix: &str, k: &str) -> Option<bool> {
        match t.get(k)? {
            Value::Boolean(b) => Some(*b),
            other => {
                let msg = format!("expected true or false, found {}", other.type_str());
                self.problem(
                    &format!("{prefix}.{k}"),
                    msg,
                    "write true or false, unquoted",
                );
                None
            }
        }
    }

    fn number(&mut self, t: &Table, prefix: &str, k: &str) -> Option<f64> {
        #[allow(clippy::cast_precision_loss)]
        let v = match t.get(k)? {
            Value::Integer(i) => *i as f64,
            Value::Float(f) if f.is_finite() => *f,
            other => {
                self.problem(
                    &format!("{prefix}.{k}"),
                    format!("expected a number, found {other}"),
                    "write a plain number, e.g. 90 or 0.5",
                );
                return None;
            }
        };
        Some(v)
    }

    fn duration(&mut self, t: &Table, prefix: &str, k: &str, allow_zero: bool) -> Option<Duration> {
        let key = format!("{prefix}.{k}");
        let s = self.string(t, prefix, k)?;
        match humantime::parse_duration(&s) {
            Ok(d) if d.is_zero() && !allow_zero => {
                self.problem(&key, "must be more than zero", "e.g. \"5s\"");
                None
            }
            Ok(d) => Some(d),
            Err(e) => {
                self.problem(
                    &key,
                    format!("`{s}` is not a duration ({e})"),
                    "write e.g. \"0s\", \"30s\" or \"5m\"",
                );
                None
            }
        }
    }

    fn rule(&mut self, rule: &mut Rule, t: &Table, prefix: &str) {
        self.unknown_keys(t, prefix, RULE_KEYS);
        if let Some(b) = self.boolean(t, prefix, "enabled") {
            rule.enabled = b;
        }
        if let Some(d) = self.duration(t, prefix, "for", true) {
            rule.for_duration = d;
        }
        if let Some(s) = self.string(t, prefix, "severity") {
            match Severity::from_name(&s) {
                Some(sev) => rule.severity = sev,
                None => self.problem(
                    &format!("{prefix}.severity"),
                    format!("unknown severity `{s}`"),
                    "one of: warning, critical",
                ),
            }
        }
        let threshold = self.number(t, prefix, "threshold");
        let hysteresis = self.number(t, prefix, "hysteresis");
        if hysteresis.is_some_and(|h| h < 0.0) {
            self.problem(
                &format!("{prefix}.hysteresis"),
                "must not be negative",
                "0 resolves as soon as the figure is back past the threshold",
            );
        }
        match &mut rule.kind {
            RuleKind::Threshold {
                threshold: th,
                hysteresis: hy,
                ..
            } => {
                if let Some(v) = threshold {
                    *th = v;
                }
                if let Some(h) = hysteresis.filter(|h| *h >= 0.0) {
                    *hy = h;
                }
            }
            kind => {
                let name = kind.as_str();
                for k in ["threshold", "hysteresis"]
                    .into_iter()
                    .filter(|k| t.contains_key(*k))
                {
                    let msg = format!("rule `{}` is a {name} condition and has no {k}", rule.name);
                    self.problem(
                        &format!("{prefix}.{k}"),
                        msg,
                        "remove the key; only enabled, for and severity apply",
                    );
                }
            }
        }
    }

    fn webhook(&mut self, t: &Table, prefix: &str) -> Option<Webhook> {
        self.unknown_keys(t, prefix, WEBHOOK_KEYS);
        let kinds = WebhookKind::ALL.map(WebhookKind::as_str).join(", ");
        let kind = match self.string(t, prefix, "kind") {
            Some(k) => match WebhookKind::from_name(&k) {
                Some(kind) => Some(kind),
                None => {
                    self.problem(
                        &format!("{prefix}.kind"),
                        format!("unknown webhook kind `{k}`"),
                        format!("one of: {kinds}"),
                    );
                    None
                }
            },
            None => {
                if !t.contains_key("kind") {
                    self.problem(
                        &format!("{prefix}.kind"),
                        "missing",
                        format!("one of: {kinds}"),
                    );
                }
                None
            }
        };
        let key = format!("{prefix}.url_env");
        let url = match self.string(t, prefix, "url_env") {
            Some(var) => match (self.env)(&var).filter(|u| !u.trim().is_empty()) {
                None => {
                    let hint = format!(
                        "export {var}=<webhook URL> before starting, or remove this webhook"
                    );
                    self.problem(
                        &key,
                        format!("environment variable `{var}` is not set"),
                        hint,
                    );
                    None
                }
                Some(u) => {
                    let url = SecretUrl::new(u.trim());
                    match reqwest::Url::parse(u.trim()) {
                        Ok(p)
                            if matches!(p.scheme(), "http" | "https") && p.host_str().is_some() =>
                        {
                            Some((var, url))
                        }
                        _ => {
                            let msg = format!(
                                "`{var}` does not hold an http(s) URL ({})",
                                url.redacted()
                            );
                            self.problem(&key, msg, format!("set {var} to the full webhook URL, e.g. https://discord.com/api/webhooks/…"));
                            None
                        }
                    }
                }
            },
            None => {
                if !t.contains_key("url_env") {
                    self.problem(&key, "missing", "name the environment variable that holds the webhook URL, e.g. \"DISCORD_WEBHOOK_URL\"");
                }
                None
            }
        };
        let timeout = self.duration(t, prefix, "timeout", false);
        let tries = match t.get("tries") {
            None => None,
            Some(Value::Integer(i)) if (1..=10).contains(i) => u32::try_from(*i).ok(),
            Some(other) => {
                self.problem(
                    &format!("{prefix}.tries"),
                    format!("expected 1 to 10, found {other}"),
                    "e.g. 3",
                );
                None
            }
        };
        let (kind, (var, url)) = (kind?, url?);
        let mut hook = Webhook::new(kind, url);
        hook.url_env = Some(var);
        if let Some(d) = timeout {
            hook.timeout = d;
        }
        if let Some(n) = tries {
            hook.max_tries = n;
        }
        Some(hook)
    }
}

/// Validate the `[alerts]` table (`None`: the section is absent, defaults apply). `prefix` is its
/// key path (`"alerts"`); `env` looks up environment variables (webhook URLs).
///
/// # Errors
/// Every problem found, each with its key path and a hint.
pub fn parse(
    table: Option<&Table>,
    prefix: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<AlertsConfig, Vec<ConfigProblem>> {
    let mut config = AlertsConfig::default();
    let Some(t) = table else { return Ok(config) };
    let mut w = Walker {
        problems: Vec::new(),
        env,
    };
    w.unknown_keys(t, prefix, ALERTS_KEYS);
    if let Some(b) = w.boolean(t, prefix, "desktop") {
        config.desktop = b;
    }
    match t.get("rules") {
        None => {}
        Some(Value::Table(rules)) => {
            for (name, v) in rules {
                let key = format!("{prefix}.rules.{name}");
                let known = config.rules.names().collect::<Vec<_>>().join(", ");
                match (config.rules.get_mut(name), v) {
                    (Ok(rule), Value::Table(rt)) => w.rule(rule, rt, &key),
                    (Err(_), _) => w.problem(
                        &key,
                        format!("no built-in rule named `{name}`"),
                        format!("known rules: {known}"),
                    ),
                    (Ok(_), other) => {
                        w.problem(
                            &key,
                            format!("expected a table, found {}", other.type_str()),
                            format!("write a [{key}] section"),
                        );
                    }
                }
            }
        }
        Some(other) => {
            let key = format!("{prefix}.rules");
            w.problem(
                &key,
                format!("expected a table, found {}", other.type_str()),
                format!("write [{key}.<rule name>] sections"),
            );
        }
    }
    match t.get("webhook") {
        None => {}
        Some(Value::Array(items)) => {
            for (i, v) in items.iter().enumerate() {
                let key = format!("{prefix}.webhook[{i}]");
                match v {
                    Value::Table(ht) => {
                        if let Some(h) = w.webhook(ht, &key) {
                            config.webhooks.push(h);
                        }
                    }
                    other => w.problem(
                        &key,
                        format!("expected a table, found {}", other.type_str()),
                        format!("write [[{prefix}.webhook]] sections"),
                    ),
                }
            }
        }
        Some(other) => {
            let key = format!("{prefix}.webhook");
            w.problem(
                &key,
                format!("expected an array of tables, found {}", other.type_str()),
                format!("write [[{key}]] (double brackets)"),
            );
        }
    }
    if w.problems.is_empty() {
        Ok(config)
    } else {
        Err(w.problems)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::float_cmp)]
mod tests {
    use super::*;
    use crate::alerts::rules::RuleKind;

    fn section(text: &str) -> Table {
        let root: Table = text.parse().unwrap();
        match root.get("alerts") {
            Some(Value::Table(t)) => t.clone(),
            _ => Table::new(),
        }
    }

    fn env(k: &str) -> Option<String> {
        match k {
            "DISCORD_WEBHOOK_URL" => {
                Some("https://discord.com/api/webhooks/42/t0pS3cret".to_owned())
            }
            "BAD_URL" => Some("ftp://x/t0pS3cret".to_owned()),
            _ => None,
        }
    }

    #[test]
    fn absent_section_gives_the_defaults() {
        let c = parse(None, "alerts", &env).unwrap();
        assert_eq!(c, AlertsConfig::default());
        assert!(c.desktop);
    }

    #[test]
    fn overrides_and_webhooks_apply() {
        let t = section(
            r#"
[alerts]
desktop = false
[alerts.rules.gpu_temp_high]
enabled = false
threshold = 90
hysteresis = 2.5
for = "1m"
severity = "warning"
[alerts.rules.node_down]
for = "0s"
[[alerts.webhook]]
kind = "discord"
url_env = "DISCORD_WEBHOOK_URL"
timeout = "2s"
tries = 5
"#,
        );
        let c = parse(Some(&t), "alerts", &env).unwrap();
        assert!(!c.desktop);
        let r = c.rules.get("gpu_temp_high").unwrap();
        assert!(!r.enabled);
        assert_eq!(r.for_duration, Duration::from_secs(60));
        assert_eq!(r.severity, Severity::Warning);
        assert!(
            matches!(r.kind, RuleKind::Threshold { threshold, hysteresis, .. } if threshold == 90.0 && hysteresis == 2.5)
        );
        let h = &c.webhooks[0];
        assert_eq!(
            (h.kind, h.timeout, h.max_tries),
            (WebhookKind::Discord, Duration::from_secs(2), 5)
        );
        assert!(
            !format!("{c:?}").contains("t0pS3cret"),
            "Debug of the config must not show the token"
        );
    }

    #[test]
    fn every_problem_has_its_key_and_a_hint() {
        let t = section(
            r#"
[alerts]
colour = "red"
desktop = "yes"
[alerts.rules.gpu_temp_hot]
threshold = 1
[alerts.rules.gpu_temp_high]
threshold = "high"
for = "soon"
severity = "fatal"
hysteresis = -1
[alerts.rules.node_down]
threshold = 3
[[alerts.webhook]]
kind = "teams"
url = "https://example.com/hook/secret"
[[alerts.webhook]]
kind = "slack"
url_env = "UNSET_VAR"
[[alerts.webhook]]
kind = "json"
url_env = "BAD_URL"
tries = 0
"#,
        );
        let problems = parse(Some(&t), "alerts", &env).unwrap_err();
        let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
        for k in [
            "alerts.colour",
            "alerts.desktop",
            "alerts.rules.gpu_temp_hot",
            "alerts.rules.gpu_temp_high.threshold",
            "alerts.rules.gpu_temp_high.for",
            "alerts.rules.gpu_temp_high.severity",
            "alerts.rules.gpu_temp_high.hysteresis",
            "alerts.rules.node_down.threshold",
            "alerts.webhook[0].kind",
            "alerts.webhook[0].url",
            "alerts.webhook[0].url_env",
            "alerts.webhook[1].url_env",
            "alerts.webhook[2].url_env",
            "alerts.webhook[2].tries",
        ] {
            assert!(keys.contains(&k), "{k} missing from {keys:?}");
        }
        assert_eq!(problems.len(), 14, "{problems:#?}");
        assert!(
            problems
                .iter()
                .all(|p| !p.hint.is_empty() && !p.message.is_empty())
        );
        let url = problems
            .iter()
            .find(|p| p.key == "alerts.webhook[0].url")
            .unwrap();
        assert!(url.hint.contains("url_env"), "{url:?}");
        let text = format!("{problems:?}");
        assert!(
            !text.contains("t0pS3cret"),
            "no problem may show a webhook token: {text}"
        );
    }
}
