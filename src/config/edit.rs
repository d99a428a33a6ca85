//! Editing the config file from the window: the file is held as a format-preserving TOML
//! document (`toml_edit`), so an edit changes the key it names and nothing else — comments,
//! blank lines, key order and the other values stay as the user wrote them. Every edit is
//! checked by the same walker as a file ([`super::from_toml_str`]), so the window shows the
//! same messages as the file check; only a config without problems is written, and it is
//! written whole or not at all (a new file renamed over the old).

use std::path::{Path, PathBuf};

use toml_edit::{ArrayOfTables, DocumentMut, Item, Table, Value};

use super::{Config, ConfigProblem, Env};

/// The source sections the window edits, as the config names them, with their required key.
pub const SOURCE_TABLES: [(&str, &str); 10] = [
    ("prometheus", "url"),
    ("status", "url"),
    ("ollama", "url"),
    ("prometheus_server", "url"),
    ("nexus_ws", "url"),
    ("nexus_redis", "url"),
    ("exec_logs", "url"),
    ("openclaw_sessions", "dir"),
    ("openclaw_gateway", "url"),
    ("tool_proxy_log", "path"),
];

/// A config file as a document that keeps its formatting.
#[derive(Debug, Clone)]
pub struct ConfigDoc {
    path: Option<PathBuf>,
    doc: DocumentMut,
    /// Edits made since it was read: lets a window tell it changed without writing it out.
    edits: u64,
}

/// Two documents are equal when they would save the same text to the same file.
impl PartialEq for ConfigDoc {
    fn eq(&self, other: &Self) -> bool {
        self.path == other.path && self.text() == other.text()
    }
}

impl Eq for ConfigDoc {}

/// One key and its value as text (a string without its quotes; anything else as TOML writes
/// it, e.g. `2`, `true`, `["a", "b"]`).
pub type Field = (String, String);

impl ConfigDoc {
    /// The document of `text` (for a file at `path`, if any).
    ///
    /// # Errors
    /// The text is not TOML (the message says where).
    pub fn parse(text: &str, path: Option<PathBuf>) -> Result<Self, String> {
        let doc = text
            .parse::<DocumentMut>()
            .map_err(|e| format!("the config is not valid TOML: {e}"))?;
        Ok(Self {
            path,
            doc,
            edits: 0,
        })
    }

    /// The document of the file at `path` (empty when there is no file yet).
    ///
    /// # Errors
    /// The file cannot be read or is not TOML.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        Self::parse(&text, Some(path.to_path_buf()))
    }

    /// Edits made to it since it was read (each change of a key, entry or rule counts one).
    #[must_use]
    pub fn edits(&self) -> u64 {
        self.edits
    }

    /// Where it is saved.
    #[must_use]
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The text as it would be saved.
    #[must_use]
    pub fn text(&self) -> String {
        self.doc.to_string()
    }

    /// The config this text gives, or every problem in the file check's words.
    ///
    /// # Errors
    /// The problems.
    pub fn check(&self, env: Env<'_>) -> Result<Config, Vec<ConfigProblem>> {
        super::from_toml_str(&self.text(), env)
    }

    /// Write the text to the file: a new file beside it, renamed over it (whole or not at all).
    ///
    /// # Errors
    /// No path, or the file cannot be written (the message says which and what to do).
    pub fn save(&self) -> Result<(), String> {
        let path = self
            .path
            .as_deref()
            .ok_or("no config file to save to: start with --config PATH")?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        let tmp = path.with_extension("toml.new");
        std::fs::write(&tmp, self.text())
            .and_then(|()| std::fs::rename(&tmp, path))
            .map_err(|e| {
                format!(
                    "cannot write {}: {e}; check its permissions",
                    path.display()
                )
            })
    }

    /// The array of tables at the dotted `path` (`prometheus`, `alerts.webhook`).
    fn aot(&self, path: &str) -> Option<&ArrayOfTables> {
        let mut segs: Vec<&str> = path.split('.').collect();
        let last = segs.pop()?;
        let mut t = self.doc.as_table();
        for seg in segs {
            t = t.get(seg)?.as_table()?;
        }
        t.get(last)?.as_array_of_tables()
    }

    /// [`Self::aot`], to change; made (its parent tables implicit) when `make`.
    fn aot_mut(&mut self, path: &str, make: bool) -> Option<&mut ArrayOfTables> {
        let mut segs: Vec<&str> = path.split('.').collect();
        let last = segs.pop()?;
        let mut t = self.doc.as_table_mut();
        for seg in segs {
            if !make && !t.get(seg).is_some_and(Item::is_table) {
                return None;
            }
            t = table_at(t, seg, true);
        }
        if make {
            t.entry(last)
                .or_insert_with(|| Item::ArrayOfTables(ArrayOfTables::new()));
        }
        t.get_mut(last)?.as_array_of_tables_mut()
    }

    /// The entries of `[[path]]` (`prometheus`, `alerts.webhook`), each as its fields in file
    /// order.
    #[must_use]
    pub fn entries(&self, path: &str) -> Vec<Vec<Field>> {
        self.aot(path)
            .map(|aot| aot.iter().map(fields_of).collect())
            .unwrap_or_default()
    }

    /// Set `key` of entry `index` of `[[path]]` to `text` (read as its current type where it
    /// has one; see [`typed`]); empty text removes the key. The key's comments stay.
    pub fn set_field(&mut self, path: &str, index: usize, key: &str, text: &str) {
        self.edits += 1;
        if let Some(t) = self.aot_mut(path, false).and_then(|aot| aot.get_mut(index)) {
            set_in(t, key, text);
        }
    }

    /// Add an entry to `[[path]]` with these fields (after the others).
    pub fn add_entry(&mut self, path: &str, fields: &[(&str, &str)]) {
        self.edits += 1;
        if let Some(aot) = self.aot_mut(path, true) {
            let mut t = Table::new();
            for (k, v) in fields {
                set_in(&mut t, k, v);
            }
            aot.push(t);
        }
    }

    /// Copy entry `index` of `[[path]]` to the end of `other`'s `[[path]]`, values as they are.
    pub fn copy_entry_to(&self, path: &str, index: usize, other: &mut Self) {
        other.edits += 1;
        let Some(t) = self.aot(path).and_then(|aot| aot.get(index)).cloned() else {
            return;
        };
        if let Some(aot) = other.aot_mut(path, true) {
            aot.push(t);
        }
    }

    /// Remove entry `index` of `[[path]]` (the section goes when it was the last).
    pub fn remove_entry(&mut self, path: &str, index: usize) {
        self.edits += 1;
        let empty = match self.aot_mut(path, false) {
            Some(aot) if index < aot.len() => {
                aot.remove(index);
                aot.is_empty()
            }
            _ => false,
        };
        if empty {
            let mut segs: Vec<&str> = path.split('.').collect();
            let Some(last) = segs.pop() else { return };
            let mut t = self.doc.as_table_mut();
            for seg in segs {
                t = table_at(t, seg, true);
            }
            t.remove(last);
        }
    }

    /// The keys set for alert rule `name` (`[alerts.rules.NAME]`).
    #[must_use]
    pub fn rule(&self, name: &str) -> Vec<Field> {
        self.doc
            .get("alerts")
            .and_then(|a| a.get("rules"))
            .and_then(|r| r.get(name))
            .and_then(Item::as_table)
            .map(fields_of)
            .unwrap_or_default()
    }

    /// Set `key` of alert rule `name` (the `[alerts.rules.NAME]` table is made when missing);
    /// empty text removes the key.
    pub fn set_rule(&mut self, name: &str, key: &str, text: &str) {
        self.edits += 1;
        let alerts = table_at(self.doc.as_table_mut(), "alerts", true);
        let rules = table_at(alerts, "rules", true);
        let rule = table_at(rules, name, false);
        set_in(rule, key, text);
    }
}

/// The table at `key` of `parent`, made (implicit: no header of its own when `implicit`) if
/// missing or not a table.
fn table_at<'t>(parent: &'t mut Table, key: &str, implicit: bool) -> &'t mut Table {
    let item = parent.entry(key).or_insert(Item::None);
    if !item.is_table() {
        let mut t = Table::new();
        t.set_implicit(implicit);
        *item = Item::Table(t);
    }
    match item {
        Item::Table(t) => t,
        // Made a table just above.
        _ => unreachable!("a table was just put here"),
    }
}

fn fields_of(t: &Table) -> Vec<Field> {
    t.iter()
        .filter_map(|(k, item)| Some((k.to_owned(), text_of(item.as_value()?))))
        .collect()
}

/// A value as the window shows it: a string bare, anything else as TOML writes it.
#[must_use]
pub fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.value().clone(),
        other => other.clone().decorated("", "").to_string(),
    }
}

/// `text` as a value: a string where the key holds a string (a URL, a name, a duration such as
/// `2s`), a float where it holds a float and the text is a number, else TOML's reading of it
/// (`2`, `0.5`, `true`, `["a", "b"]`), else a string.
#[must_use]
pub fn typed(text: &str, old: Option<&Value>) -> Value {
    match old {
        Some(Value::String(_)) => return Value::from(text),
        Some(Value::Float(_)) => {
            if let Ok(x) = text.trim().parse::<f64>() {
                return Value::from(x);
            }
        }
        _ => {}
    }
    text.trim()
        .parse::<Value>()
        .unwrap_or_else(|_| Value::from(text))
}

/// Set `key` in `t` to `text`, keeping the old value's comments; empty text removes it.
fn set_in(t: &mut Table, key: &str, text: &str) {
    if text.trim().is_empty() {
        t.remove(key);
        return;
    }
    let old = t.get(key).and_then(Item::as_value);
    let decor = old.map(|v| v.decor().clone());
    let mut value = typed(text, old);
    if let Some(d) = decor {
        *value.decor_mut() = d;
    }
    // In place where the key exists: its position and the comments above it stay.
    match t.get_mut(key) {
        Some(item) => *item = Item::Value(value),
        None => {
            t.insert(key, Item::Value(value));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMMENTED: &str = r#"# My cluster. Keep this comment.

[nvml]
enabled = false   # no GPU on this box

# The two vLLM servers.
[[prometheus]]
url = "http://10.0.0.5:8000/metrics"   # node A
interval = "1s"

[[prometheus]]
url = "http://10.0.0.6:8000/metrics"
node = "gpu-b"

[alerts.rules.gpu_temp_high]
threshold = 85.0  # our racks run hot
for = "30s"
"#;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn an_edit_changes_its_key_and_nothing_else() {
        let mut d = ConfigDoc::parse(COMMENTED, None).unwrap();
        d.set_field("prometheus", 0, "interval", "5s");
        let want = COMMENTED.replace("interval = \"1s\"", "interval = \"5s\"");
        assert_eq!(d.text(), want, "only the edited key changed");
        d.set_rule("gpu_temp_high", "threshold", "90");
        let want = want.replace("threshold = 85.0  #", "threshold = 90.0  #");
        assert_eq!(d.text(), want, "its comment kept");
        assert_eq!(
            d.check(&no_env).unwrap().prometheus[0].interval.as_secs(),
            5
        );
    }

    #[test]
    fn entries_are_added_and_removed_and_read_back() {
        let mut d = ConfigDoc::parse(COMMENTED, None).unwrap();
        d.add_entry("status", &[("url", "http://10.0.0.5:9199/status")]);
        d.remove_entry("prometheus", 1);
        let cfg = d.check(&no_env).unwrap();
        assert_eq!(cfg.status.len(), 1);
        assert_eq!(cfg.prometheus.len(), 1);
        assert_eq!(
            d.entries("prometheus")[0],
            vec![
                ("url".to_owned(), "http://10.0.0.5:8000/metrics".to_owned()),
                ("interval".to_owned(), "1s".to_owned())
            ]
        );
        assert!(d.text().starts_with("# My cluster. Keep this comment."));
        d.remove_entry("status", 0);
        assert!(
            !d.text().contains("[[status]]"),
            "the last entry takes its section"
        );

        // A rule that was not in the file gets its own table.
        d.set_rule("node_down", "severity", "warning");
        assert_eq!(
            d.rule("node_down"),
            vec![("severity".to_owned(), "warning".to_owned())]
        );
        d.check(&no_env).unwrap();
        // Nested arrays of tables: a webhook by env var name.
        d.add_entry(
            "alerts.webhook",
            &[("kind", "slack"), ("url_env", "SLACK_URL")],
        );
        assert_eq!(
            d.entries("alerts.webhook")[0][1],
            ("url_env".to_owned(), "SLACK_URL".to_owned())
        );
        assert!(d.text().contains("[[alerts.webhook]]"));
        let env = |k: &str| (k == "SLACK_URL").then(|| "https://hooks.slack.com/x".to_owned());
        assert_eq!(d.check(&env).unwrap().alerts.webhooks.len(), 1);
        d.remove_entry("alerts.webhook", 0);
        assert!(!d.text().contains("webhook"));
    }

    #[test]
    fn a_bad_value_gets_the_file_checks_own_message() {
        let mut d = ConfigDoc::parse(COMMENTED, None).unwrap();
        d.set_field("prometheus", 0, "interval", "soon");
        let from_window = d.check(&no_env).unwrap_err();
        let from_file = super::super::from_toml_str(
            &COMMENTED.replace("interval = \"1s\"", "interval = \"soon\""),
            &no_env,
        )
        .unwrap_err();
        assert_eq!(from_window, from_file);
        assert_eq!(from_window[0].key, "prometheus[0].interval");
    }

    #[test]
    fn values_keep_their_type_and_new_ones_are_read_as_toml() {
        let mut d = ConfigDoc::parse(COMMENTED, None).unwrap();
        d.set_field("prometheus", 1, "node", "42");
        assert!(
            d.text().contains("node = \"42\""),
            "a string stays a string"
        );
        d.set_field("prometheus", 1, "max_body_bytes", "2048");
        assert!(d.text().contains("max_body_bytes = 2048"));
        d.set_field("prometheus", 1, "node", "");
        assert!(!d.text().contains("node ="), "empty removes the key");
    }

    #[test]
    fn saving_writes_the_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("swarmglass.toml");
        std::fs::write(&path, COMMENTED).unwrap();
        let mut d = ConfigDoc::load(&path).unwrap();
        d.set_field("prometheus", 0, "interval", "3s");
        d.save().unwrap();
        let back = std::fs::read_to_string(&path).unwrap();
        assert_eq!(back, COMMENTED.replace("\"1s\"", "\"3s\""));
        assert!(!path.with_extension("toml.new").exists());
        let missing = ConfigDoc::load(&dir.path().join("none.toml")).unwrap();
        assert_eq!(missing.text(), "");
    }
}
