//! `swarmglass demo`: the simulated cluster on its own named thread with its own tokio runtime,
//! alive as long as the [`DemoCluster`] value (the window holds it for its lifetime).

use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::Context as _;
use tokio::sync::oneshot;

use crate::sim::{SimCluster, SimOptions};

/// How long to wait for the simulated cluster to bind its sockets.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// A simulated cluster running on its own thread for `swarmglass demo`. Dropping it shuts the
/// servers down and joins the thread.
pub struct DemoCluster {
    config: String,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl DemoCluster {
    /// Start the simulated cluster on 127.0.0.1 and wait until it listens.
    ///
    /// # Errors
    /// When the thread or its runtime cannot start, or the cluster cannot bind its ports.
    pub fn start(opts: SimOptions) -> anyhow::Result<Self> {
        let (ready_tx, ready_rx) = mpsc::sync_channel::<Result<String, String>>(1);
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("sim".into())
            .spawn(move || serve(opts, &ready_tx, stop_rx))
            .context("cannot spawn the simulated cluster's thread")?;
        let mut demo = Self {
            config: String::new(),
            stop: Some(stop_tx),
            thread: Some(thread),
        };
        match ready_rx.recv_timeout(START_TIMEOUT) {
            Ok(Ok(config)) => {
                demo.config = config;
                Ok(demo)
            }
            Ok(Err(e)) => anyhow::bail!(
                "cannot start the simulated cluster: {e} (is a port in use? try another --base-port)"
            ),
            Err(_) => anyhow::bail!(
                "the simulated cluster did not start within {}s",
                START_TIMEOUT.as_secs()
            ),
        }
    }

    /// A Swarmglass config (TOML) pointing at the simulated endpoints.
    #[must_use]
    pub fn config_toml(&self) -> String {
        self.config.clone()
    }
}

fn serve(
    opts: SimOptions,
    ready: &mpsc::SyncSender<Result<String, String>>,
    stop: oneshot::Receiver<()>,
) {
    let report = |r: Result<String, String>| {
        if ready.send(r).is_err() {
            log::warn!("sim: nobody waits for the simulated cluster any more");
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("sim-worker")
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            report(Err(format!("cannot build its tokio runtime: {e}")));
            return;
        }
    };
    rt.block_on(async move {
        match SimCluster::start(opts).await {
            Ok(sim) => {
                report(Ok(sim.config_toml()));
                // Err means the DemoCluster was dropped without a word: stop all the same.
                if stop.await.is_err() {
                    log::debug!("sim: stop handle dropped");
                }
                sim.shutdown().await;
            }
            Err(e) => report(Err(e.to_string())),
        }
    });
}

impl Drop for DemoCluster {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take()
            && stop.send(()).is_err()
        {
            log::debug!("sim: already stopped");
        }
        if let Some(t) = self.thread.take()
            && t.join().is_err()
        {
            log::error!("the simulated cluster's thread panicked");
        }
    }
}
