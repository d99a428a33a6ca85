//! What the window asks of history each frame: the plots of the chosen range (throughput and
//! the open detail view) and, while rewound, the model as it was — queried once per recorded
//! tick or change of choice, then reused by every frame in between.

use std::rc::Rc;
use std::time::SystemTime;

use crate::history::detail;
use crate::history::query::plot;
use crate::history::{SeriesKey, catalog, from_unix_ms, rewind, unix_ms};
use crate::model::Model;
use crate::recording::Recording;
use crate::ui::history::{HistoryFrame, HistoryUiState, TimeRange};

/// Points per line: about one per two pixels of a wide plot.
const MAX_POINTS: usize = 600;

/// What a frame was built for.
#[derive(Debug, Clone, PartialEq)]
struct Key {
    range: TimeRange,
    rewind: Option<i64>,
    detail: Option<detail::Target>,
    generation: u64,
    /// Live ranges end at the current second.
    end_s: i64,
}

/// The window's cache of history queries.
#[derive(Default)]
pub struct HistoryView {
    /// Shared with the frame that draws it: a pass takes a handle, not a copy of every point.
    frame: Option<(Key, Rc<HistoryFrame>)>,
    rewound: Option<(i64, Model)>,
}

impl HistoryView {
    /// The plots for `state` at `now`, queried when something changed.
    pub fn frame(
        &mut self,
        rec: &Recording,
        state: &HistoryUiState,
        now: SystemTime,
    ) -> Rc<HistoryFrame> {
        let end_ms = state.rewind.unwrap_or_else(|| unix_ms(now));
        let key = Key {
            range: state.range,
            rewind: state.rewind,
            detail: state.detail.clone(),
            generation: rec.history().generation(),
            end_s: end_ms / 1000,
        };
        if self.frame.as_ref().is_some_and(|(k, _)| *k != key) {
            self.frame = None;
        }
        Rc::clone(
            &self
                .frame
                .get_or_insert_with(|| (key, Rc::new(build(rec, state, end_ms))))
                .1,
        )
    }

    /// The model as history knows it at `t` (unix ms), with the errors seen by then.
    pub fn model_at(&mut self, rec: &Recording, t: i64, live: &Model) -> &Model {
        if self.rewound.as_ref().is_some_and(|(at, _)| *at != t) {
            self.rewound = None;
        }
        &self
            .rewound
            .get_or_insert_with(|| {
                let at = from_unix_ms(t);
                let mut model = rewind::model_at(rec.history().store(), at, &live.settings)
                    .unwrap_or_else(|e| {
                        log::warn!("{e}");
                        Model::new(live.settings.clone())
                    });
                model.errors = live.errors.as_of(at);
                (t, model)
            })
            .1
    }
}

fn build(rec: &Recording, state: &HistoryUiState, end_ms: i64) -> HistoryFrame {
    let history = rec.history();
    let store = history.store();
    let res = history.settings().resolution;
    let (mut from_ms, to_ms) = state.range.bounds(end_ms);
    let oldest_ms = store.oldest_ms();
    // A preset longer than what is held shows what is held (whole minutes, at least one), so a
    // fresh start does not squeeze its first points against the right edge.
    if let (TimeRange::Last(_), Some(oldest)) = (state.range, oldest_ms) {
        let held_from = (oldest - oldest.rem_euclid(60_000)).min(to_ms - 60_000);
        from_ms = from_ms.max(held_from);
    }
    let series = |metric: &catalog::Metric| {
        store
            .id(&SeriesKey::new(metric, &[]))
            .and_then(|id| {
                plot(store, id, from_ms, to_ms + 1, MAX_POINTS, res)
                    .map_err(|e| log::warn!("{e}"))
                    .ok()
            })
            .unwrap_or_default()
    };
    let detail = state
        .detail
        .as_ref()
        .and_then(|t| {
            detail::plots(store, t, from_ms, to_ms + 1, MAX_POINTS, res)
                .map_err(|e| log::warn!("{e}"))
                .ok()
        })
        .unwrap_or_default();
    HistoryFrame {
        from_ms,
        to_ms,
        oldest_ms,
        throughput: [
            series(&catalog::CLUSTER_GEN_TPS),
            series(&catalog::CLUSTER_PROMPT_TPS),
        ],
        detail,
        problem: history.failed().map(ToString::to_string),
    }
}
