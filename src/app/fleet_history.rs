//! A fleet read through a Prometheus server keeps its history there: the window's throughput plot
//! and the detail views of the fleet's GPUs and servers are drawn from the server's
//! `query_range`, so they reach as far back as the server keeps data — not only as far as this
//! window has been recording. Queries run on a thread of their own (never the UI thread); the
//! latest answer is laid over the recorded frame, and until it arrives the recorded one shows.

use std::rc::Rc;
use std::sync::mpsc;
use std::time::Duration;

use crate::history::detail::{DetailPlot, Target};
use crate::history::{from_unix_ms, query::Points};
use crate::sources::http;
use crate::sources::promserver::PromServer;
use crate::sources::promserver::queries::{self, RangeSubject};
use crate::ui::history::HistoryFrame;

/// Points per line asked of the server.
const POINTS: i64 = 600;

/// What one answer is for.
#[derive(Debug, Clone, PartialEq)]
struct Request {
    from_ms: i64,
    to_ms: i64,
    detail: Option<(Target, RangeSubject)>,
}

/// What came back for a request.
struct Answer {
    request: Request,
    throughput: Option<[Points; 2]>,
    detail: Option<Vec<DetailPlot>>,
}

/// The window's link to the server's history.
pub struct FleetHistory {
    requests: mpsc::Sender<Request>,
    answers: mpsc::Receiver<Answer>,
    asked: Option<Request>,
    latest: Option<Answer>,
    /// Answers received so far: tells a new answer from the one already overlaid.
    answers_seen: u64,
    /// The last overlay: the frame it was made from, the answer it used, the result. The same
    /// frame and answer give the same result, so a frame is cloned once per change, not per draw.
    overlaid: Option<(Rc<HistoryFrame>, u64, Request, Rc<HistoryFrame>)>,
}

/// The server's name for a detail view's subject, when it is one of the fleet's (a GPU by UUID;
/// a server whose locator names the server's `instance` and `job`).
fn subject_of(t: &Target) -> Option<RangeSubject> {
    match t {
        Target::Gpu { gpu, .. } => {
            let uuid = gpu.split('/').next().unwrap_or(gpu);
            uuid.starts_with("GPU-").then(|| RangeSubject::Gpu {
                uuid: uuid.to_owned(),
            })
        }
        Target::Server { source, model, .. } => {
            let rest = source.strip_prefix("http://")?;
            let (instance, query) = rest.split_once("/metrics?job=")?;
            let (job, _via) = query.split_once("&via=")?;
            Some(RangeSubject::Server {
                instance: instance.to_owned(),
                job: job.to_owned(),
                model: (!model.is_empty()).then(|| model.clone()),
            })
        }
        Target::Node { .. } => None,
    }
}

fn points(
    series: &[crate::sources::promserver::api::RangeSeries],
    from_ms: i64,
    to_ms: i64,
    step_ms: i64,
) -> Points {
    // One line: the first series (each query aggregates to one). Missing steps are gaps.
    let Some(s) = series.first() else {
        return Vec::new();
    };
    let mut out = Vec::with_capacity(s.points.len());
    let mut next = from_ms;
    for &(t, v) in &s.points {
        if t > next + step_ms && !out.is_empty() {
            out.push((next, None));
        }
        out.push((t, v.is_finite().then_some(v)));
        next = t + step_ms;
    }
    if next + step_ms < to_ms && !out.is_empty() {
        out.push((next, None));
    }
    out
}

async fn answer(server: &PromServer, client: &reqwest::Client, r: Request) -> Answer {
    let step_ms = ((r.to_ms - r.from_ms) / POINTS).max(1000);
    let step = Duration::from_millis(u64::try_from(step_ms).unwrap_or(1000));
    // `rate` needs at least the configured window (and one step) to see two samples.
    let window = server.window.max(step * 2);
    let (from, to) = (from_unix_ms(r.from_ms), from_unix_ms(r.to_ms));
    let run = |plots: Vec<queries::RangePlot>| async {
        let mut out = Vec::new();
        for p in plots {
            let mut lines = Vec::new();
            for (legend, q) in p.lines {
                match server.range(client, &q, from, to, step).await {
                    Ok(series) => lines.push((
                        legend.to_owned(),
                        points(&series, r.from_ms, r.to_ms, step_ms),
                    )),
                    Err(e) => {
                        log::warn!("fleet history: {e}");
                        return None;
                    }
                }
            }
            out.push(DetailPlot {
                title: p.title.to_owned(),
                unit: p.unit,
                lines,
            });
        }
        Some(out)
    };
    let throughput = run(queries::history(
        &RangeSubject::Cluster,
        window,
        &server.matchers,
    ))
    .await
    .and_then(|mut plots| {
        let mut lines = plots.pop()?.lines.into_iter().map(|(_, p)| p);
        Some([lines.next()?, lines.next()?])
    });
    let detail = match &r.detail {
        Some((_, subject)) => run(queries::history(subject, window, &server.matchers)).await,
        None => None,
    };
    Answer {
        request: r,
        throughput,
        detail,
    }
}

impl FleetHistory {
    /// Start the query thread for `server`; `wake` is called when an answer arrives.
    ///
    /// # Errors
    /// The thread or the HTTP client cannot be made.
    pub fn start(server: PromServer, wake: impl Fn() + Send + 'static) -> std::io::Result<Self> {
        let (req_tx, req_rx) = mpsc::channel::<Request>();
        let (ans_tx, ans_rx) = mpsc::channel::<Answer>();
        let client = http::client().map_err(|e| std::io::Error::other(e.to_string()))?;
        std::thread::Builder::new()
            .name("fleet-history".into())
            .spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                while let Ok(mut r) = req_rx.recv() {
                    // Only the newest request matters.
                    while let Ok(newer) = req_rx.try_recv() {
                        r = newer;
                    }
                    let a = rt.block_on(answer(&server, &client, r));
                    if ans_tx.send(a).is_err() {
                        return;
                    }
                    wake();
                }
            })?;
        Ok(Self {
            requests: req_tx,
            answers: ans_rx,
            asked: None,
            latest: None,
            answers_seen: 0,
            overlaid: None,
        })
    }

    /// `frame` with the server's history laid over it: its throughput, and the detail view's
    /// plots when the subject is one of the fleet's. Asks again when the range (to the step)
    /// or the detail view changed.
    pub fn overlay(
        &mut self,
        frame: Rc<HistoryFrame>,
        detail: Option<&Target>,
    ) -> Rc<HistoryFrame> {
        let span = (frame.to_ms - frame.from_ms).max(1000);
        let step = (span / POINTS).max(1000);
        let request = Request {
            from_ms: frame.from_ms - frame.from_ms.rem_euclid(step),
            to_ms: frame.to_ms - frame.to_ms.rem_euclid(step),
            detail: detail.and_then(|t| subject_of(t).map(|s| (t.clone(), s))),
        };
        while let Ok(a) = self.answers.try_recv() {
            self.latest = Some(a);
            self.answers_seen += 1;
        }
        if self.asked.as_ref() != Some(&request) && self.requests.send(request.clone()).is_ok() {
            self.asked = Some(request.clone());
        }
        let Some(a) = &self.latest else {
            return frame;
        };
        // An answer for another detail view is not shown in this one; its throughput is, as
        // long as it covers the same span (a live range moves on one step at a time).
        let same_span = a.request.to_ms - a.request.from_ms == request.to_ms - request.from_ms;
        if !same_span {
            return frame;
        }
        if let Some((input, seen, asked, output)) = &self.overlaid
            && Rc::ptr_eq(input, &frame)
            && *seen == self.answers_seen
            && *asked == request
        {
            return Rc::clone(output);
        }
        let mut f = (*frame).clone();
        if let Some(t) = &a.throughput {
            f.throughput = t.clone();
            f.oldest_ms = None;
        }
        if a.request.detail == request.detail
            && let Some(d) = &a.detail
        {
            f.detail = d.clone();
        }
        let output = Rc::new(f);
        self.overlaid = Some((frame, self.answers_seen, request, Rc::clone(&output)));
        output
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fleet_subjects_are_told_from_local_ones() {
        let gpu = Target::Gpu {
            node: "n".into(),
            gpu: "GPU-abc/MIG 1g.10gb #0".into(),
        };
        assert_eq!(
            subject_of(&gpu),
            Some(RangeSubject::Gpu {
                uuid: "GPU-abc".into()
            })
        );
        let server = Target::Server {
            node: "n".into(),
            source: "http://10.0.0.5:8000/metrics?job=vllm&via=prometheus:9090".into(),
            model: "m".into(),
        };
        assert_eq!(
            subject_of(&server),
            Some(RangeSubject::Server {
                instance: "10.0.0.5:8000".into(),
                job: "vllm".into(),
                model: Some("m".into())
            })
        );
        let local = Target::Server {
            node: "n".into(),
            source: "http://10.0.0.5:8000/metrics".into(),
            model: "m".into(),
        };
        assert_eq!(
            subject_of(&local),
            None,
            "scraped directly: its history is ours"
        );
        assert_eq!(subject_of(&Target::Node { node: "n".into() }), None);
    }

    #[test]
    fn an_answer_is_laid_over_a_frame_once_and_again_when_either_changes() {
        let (requests, asked) = mpsc::channel();
        let (reply, answers) = mpsc::channel();
        let mut fh = FleetHistory {
            requests,
            answers,
            asked: None,
            latest: None,
            answers_seen: 0,
            overlaid: None,
        };
        let frame = Rc::new(HistoryFrame {
            from_ms: 0,
            to_ms: 600_000,
            ..HistoryFrame::default()
        });
        let first = fh.overlay(Rc::clone(&frame), None);
        assert!(
            Rc::ptr_eq(&first, &frame),
            "no answer yet: the frame as it is"
        );
        let request = asked.try_recv().expect("the range was asked for");
        let answer = |v: f64| Answer {
            request: request.clone(),
            throughput: Some([vec![(0, Some(v))], Vec::new()]),
            detail: None,
        };
        reply.send(answer(1.0)).unwrap();
        let a = fh.overlay(Rc::clone(&frame), None);
        assert_eq!(a.throughput[0], vec![(0, Some(1.0))]);
        let again = fh.overlay(Rc::clone(&frame), None);
        assert!(
            Rc::ptr_eq(&a, &again),
            "same frame, same answer: not cloned again"
        );
        reply.send(answer(2.0)).unwrap();
        let b = fh.overlay(Rc::clone(&frame), None);
        assert_eq!(
            b.throughput[0],
            vec![(0, Some(2.0))],
            "a new answer is shown"
        );
        let newer = Rc::new((*frame).clone());
        let c = fh.overlay(Rc::clone(&newer), None);
        assert!(!Rc::ptr_eq(&b, &c), "a new frame is overlaid afresh");
        assert_eq!(c.throughput[0], vec![(0, Some(2.0))]);
    }

    #[test]
    fn missing_steps_are_gaps() {
        use crate::sources::promserver::api::RangeSeries;
        let s = RangeSeries {
            labels: Default::default(),
            points: vec![(0, 1.0), (1000, 2.0), (5000, 3.0), (6000, f64::NAN)],
        };
        let p = points(&[s], 0, 10_000, 1000);
        assert_eq!(
            p,
            vec![
                (0, Some(1.0)),
                (1000, Some(2.0)),
                (2000, None),
                (5000, Some(3.0)),
                (6000, None),
                (7000, None)
            ]
        );
    }
}
