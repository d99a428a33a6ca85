//! The `[alerts]` config section → [`AlertsConfig`], read through the config's one
//! [`Walker`](super::walker::Walker) like every other section, so its problems are reported with
//! the rest of the file's. Webhook URLs come from environment variables (`url_env`), never from
//! the file. The rule catalogue and its defaults (`rules.rs`, `metric.rs`) and the webhook
//! settings (`webhook.rs`) are plain data here; the alert engine (`src/alerts`) consumes them.
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

pub mod metric;
pub mod rules;
pub mod webhook;

use toml::Table;

use super::walker::Walker;

pub use metric::{Metric, Scope};
pub use rules::{Comparison, Rule, RuleKind, RuleSet, Severity, UnknownRule};
pub use webhook::{SecretUrl, Webhook, WebhookKind};

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

const ALERTS_KEYS: &[&str] = &["desktop", "rules", "webhook"];
const RULE_KEYS: &[&str] = &["enabled", "threshold", "hysteresis", "for", "severity"];
const WEBHOOK_KEYS: &[&str] = &["kind", "url_env", "timeout", "tries"];

/// Apply one `[alerts.rules.<name>]` table to the built-in rule of that name.
fn rule(w: &mut Walker, rule: &mut Rule, t: &Table, prefix: &str) {
    w.unknown_keys(t, prefix, RULE_KEYS);
    if let Some(b) = w.boolean(t, prefix, "enabled") {
        rule.enabled = b;
    }
    if let Some(d) = w.duration_or_zero(t, prefix, "for") {
        rule.for_duration = d;
    }
    if let Some(s) = w.string(t, prefix, "severity") {
        match Severity::from_name(&s) {
            Some(sev) => rule.severity = sev,
            None => w.problem(
                &format!("{prefix}.severity"),
                format!("unknown severity `{s}`"),
                "one of: warning, critical",
            ),
        }
    }
    let threshold = w.number(t, prefix, "threshold");
    let hysteresis = w.number(t, prefix, "hysteresis");
    if hysteresis.is_some_and(|h| h < 0.0) {
        w.problem(
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
                w.problem(
                    &format!("{prefix}.{k}"),
                    msg,
                    "remove the key; only enabled, for and severity apply",
                );
            }
        }
    }
}

/// One `[[alerts.webhook]]` table.
fn webhook(w: &mut Walker, t: &Table, prefix: &str) -> Option<Webhook> {
    w.unknown_keys(t, prefix, WEBHOOK_KEYS);
    let kinds = WebhookKind::ALL.map(WebhookKind::as_str).join(", ");
    let kind = match w.string(t, prefix, "kind") {
        Some(k) => match WebhookKind::from_name(&k) {
            Some(kind) => Some(kind),
            None => {
                w.problem(
                    &format!("{prefix}.kind"),
                    format!("unknown webhook kind `{k}`"),
                    format!("one of: {kinds}"),
                );
                None
            }
        },
        None => {
            if !t.contains_key("kind") {
                w.problem(
                    &format!("{prefix}.kind"),
                    "missing",
                    format!("one of: {kinds}"),
                );
            }
            None
        }
    };
    let key = format!("{prefix}.url_env");
    let url = match w.string(t, prefix, "url_env") {
        Some(var) => w
            .env_value(
                &key,
                &var,
                format!("export {var}=<webhook URL> before starting, or remove this webhook"),
            )
            .and_then(|u| {
                let url = SecretUrl::new(u.trim());
                match reqwest::Url::parse(u.trim()) {
                    Ok(p) if matches!(p.scheme(), "http" | "https") && p.host_str().is_some() => {
                        Some((var, url))
                    }
                    _ => {
                        let msg = format!(
                            "`{var}` does not hold an http(s) URL ({})",
                            url.redacted()
                        );
                        w.problem(&key, msg, format!("set {var} to the full webhook URL, e.g. https://discord.com/api/webhooks/…"));
                        None
                    }
                }
            }),
        None => {
            if !t.contains_key("url_env") {
                w.problem(&key, "missing", "name the environment variable that holds the webhook URL, e.g. \"DISCORD_WEBHOOK_URL\"");
            }
            None
        }
    };
    let timeout = w.duration(t, prefix, "timeout");
    let tries = w
        .int_in(t, prefix, "tries", 1..=10, "e.g. 3")
        .and_then(|n| u32::try_from(n).ok());
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

/// Read the `[alerts]` section of the root table (absent: the defaults). Problems go to `w`.
pub(super) fn parse(w: &mut Walker, root: &Table) -> AlertsConfig {
    let mut config = AlertsConfig::default();
    let prefix = "alerts";
    let Some(t) = w.table_with(root, "", prefix, "write an [alerts] section".to_owned()) else {
        return config;
    };
    w.unknown_keys(t, prefix, ALERTS_KEYS);
    if let Some(b) = w.boolean(t, prefix, "desktop") {
        config.desktop = b;
    }
    let rules_key = format!("{prefix}.rules");
    let rules_hint = format!("write [{rules_key}.<rule name>] sections");
    if let Some(rules) = w.table_with(t, prefix, "rules", rules_hint) {
        for name in rules.keys() {
            match config.rules.get_mut(name) {
                Ok(r) => {
                    if let Some(rt) = w.table(rules, &rules_key, name) {
                        rule(w, r, rt, &format!("{rules_key}.{name}"));
                    }
                }
                Err(unknown) => w.problem(
                    &format!("{rules_key}.{name}"),
                    format!("no built-in rule named `{name}`"),
                    format!("known rules: {}", unknown.known),
                ),
            }
        }
    }
    for (key, ht) in w.array_of_tables(t, prefix, "webhook") {
        config.webhooks.extend(webhook(w, ht, &key));
    }
    config
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::float_cmp)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::config::{ConfigProblem, from_toml_str};

    /// The `[alerts]` section of a whole config text.
    fn parse(text: &str) -> Result<AlertsConfig, Vec<ConfigProblem>> {
        from_toml_str(text, &env).map(|c| c.alerts)
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
        let c = parse("").unwrap();
        assert_eq!(c, AlertsConfig::default());
        assert!(c.desktop);
    }

    #[test]
    fn sections_of_the_wrong_shape_say_how_to_write_them() {
        let hint_at = |text: &str, key: &str| {
            let problems = parse(text).unwrap_err();
            problems
                .into_iter()
                .find(|p| p.key == key)
                .map(|p| p.hint)
                .unwrap_or_else(|| panic!("no problem at {key} for {text:?}"))
        };
        assert_eq!(hint_at("alerts = 3", "alerts"), "write an [alerts] section");
        assert_eq!(
            hint_at("[alerts]\nrules = 1", "alerts.rules"),
            "write [alerts.rules.<rule name>] sections"
        );
        assert_eq!(
            hint_at("[alerts.rules]\nvram_full = 1", "alerts.rules.vram_full"),
            "write a [alerts.rules.vram_full] section"
        );
        assert_eq!(
            hint_at("[alerts]\nwebhook = 1", "alerts.webhook"),
            "write [[alerts.webhook]] (double brackets)"
        );
    }

    #[test]
    fn overrides_and_webhooks_apply() {
        let text = r#"
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
"#;
        let c = parse(text).unwrap();
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
        let text = r#"
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
"#;
        let problems = parse(text).unwrap_err();
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
