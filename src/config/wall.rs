//! `[wall]`: what the wall view shows and how it pages a cluster too large for one screen. The
//! sections are named in the order an operator reads them; the wall lays out the ones listed
//! (and leaves out the agent sections where no agent source reports anything).

use std::time::Duration;

use toml::Table;

use super::walker::Walker;

/// One section of the wall view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WallSection {
    /// Overall state, nodes up, failover readiness, the active node.
    Cluster,
    /// A card per GPU, or the fleet matrix when cards do not fit.
    Gpus,
    /// Cluster tokens/s with peak, average and now.
    Throughput,
    /// Active sessions, the oldest, queue depth, errors in the last hour.
    Sessions,
    /// Task statistics over 24 h: completed, success rate, mean time, failed.
    Tasks,
    /// What is firing.
    Alerts,
    /// The most recent errors.
    Errors,
}

impl WallSection {
    /// Every section, in reading order (the default).
    pub const ALL: [Self; 7] = [
        Self::Cluster,
        Self::Gpus,
        Self::Throughput,
        Self::Sessions,
        Self::Tasks,
        Self::Alerts,
        Self::Errors,
    ];

    /// The name in `[wall] show`.
    #[must_use]
    pub fn key(self) -> &'static str {
        match self {
            Self::Cluster => "cluster",
            Self::Gpus => "gpus",
            Self::Throughput => "throughput",
            Self::Sessions => "sessions",
            Self::Tasks => "tasks",
            Self::Alerts => "alerts",
            Self::Errors => "errors",
        }
    }

    /// The section named `key`.
    #[must_use]
    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.key() == key)
    }
}

/// `[wall]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WallSettings {
    /// Sections shown (never empty).
    pub show: Vec<WallSection>,
    /// When the GPUs of a very large cluster do not fit even as the matrix, pages turn this often.
    pub page_every: Duration,
}

impl Default for WallSettings {
    fn default() -> Self {
        Self {
            show: WallSection::ALL.to_vec(),
            page_every: Duration::from_secs(15),
        }
    }
}

impl WallSettings {
    /// Whether `s` is shown.
    #[must_use]
    pub fn shows(&self, s: WallSection) -> bool {
        self.show.contains(&s)
    }
}

const WALL_KEYS: &[&str] = &["show", "page_every"];

/// `[wall]` of the config, defaults where absent.
pub(super) fn parse(w: &mut Walker, root: &Table) -> WallSettings {
    let mut out = WallSettings::default();
    let Some(t) = w.table(root, "", "wall") else {
        return out;
    };
    w.unknown_keys(t, "wall", WALL_KEYS);
    let names = || {
        WallSection::ALL
            .iter()
            .map(|s| format!("\"{}\"", s.key()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(list) = w.strings(t, "wall", "show") {
        let mut show = Vec::new();
        for (i, name) in list.iter().enumerate() {
            match WallSection::from_key(name) {
                Some(s) if !show.contains(&s) => show.push(s),
                Some(_) => w.problem(
                    &format!("wall.show[{i}]"),
                    format!("`{name}` is listed twice"),
                    "list each section once",
                ),
                None => w.problem(
                    &format!("wall.show[{i}]"),
                    format!("unknown wall section `{name}`"),
                    format!("use some of {}", names()),
                ),
            }
        }
        if list.is_empty() {
            w.problem(
                "wall.show",
                "no section to show",
                format!("list at least one of {}", names()),
            );
        } else if !show.is_empty() {
            out.show = show;
        }
    }
    if let Some(d) = w.duration(t, "wall", "page_every") {
        if d < Duration::from_secs(3) {
            w.problem(
                "wall.page_every",
                format!("{} s is too fast to read a page", d.as_secs_f64()),
                "use 3s or more, e.g. \"15s\"",
            );
        } else {
            out.page_every = d;
        }
    }
    out
}
