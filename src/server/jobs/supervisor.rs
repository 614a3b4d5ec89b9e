//! Periodic tasks (the job runner, the upload sweeper, and next the idle-close and CRM-poll
//! tasks) under one supervisor: a task that panics is logged and started again, and shutdown
//! lets each finish the pass it is in, then joins them all.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// A crashed task waits this long before it starts again, so a task that panics at once does
/// not spin.
const RESTART_AFTER: Duration = Duration::from_secs(1);

pub struct Supervisor {
    stop: CancellationToken,
    tasks: JoinSet<()>,
}

impl Default for Supervisor {
    fn default() -> Self {
        Supervisor::new()
    }
}

impl Supervisor {
    pub fn new() -> Supervisor {
        Supervisor {
            stop: CancellationToken::new(),
            tasks: JoinSet::new(),
        }
    }

    /// Runs `pass` every `period` (the first at once) until shutdown. Passes never overlap: a
    /// slow pass delays the next.
    pub fn every<F, Fut>(&mut self, name: &'static str, period: Duration, pass: F)
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.spawn(name, period, pass, Finish::Pass);
    }

    /// `every`, but shutdown drops the pass in flight instead of waiting for it: for passes that
    /// may run for minutes and are safe to cut (a file push, whose job is taken again whole
    /// once its claim runs out).
    pub fn every_cut_at_shutdown<F, Fut>(&mut self, name: &'static str, period: Duration, pass: F)
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.spawn(name, period, pass, Finish::Cut);
    }

    fn spawn<F, Fut>(&mut self, name: &'static str, period: Duration, pass: F, finish: Finish)
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let pass = Arc::new(pass);
        let stop = self.stop.clone();
        self.tasks.spawn(async move {
            loop {
                let run = tokio::spawn(periodic(pass.clone(), period, stop.clone(), finish));
                match run.await {
                    Ok(()) => return, // Stopped.
                    Err(e) if e.is_panic() => {
                        let why = crate::server::platform::telemetry::panic_message(&*e.into_panic());
                        tracing::error!(task = name, panic = %why, "periodic task crashed; restarting it");
                    }
                    Err(_) => return, // Cancelled: the runtime is going away.
                }
                tokio::select! {
                    () = stop.cancelled() => return,
                    () = tokio::time::sleep(RESTART_AFTER) => {}
                }
            }
        });
    }

    /// Asks every task to stop after its current pass and waits for all of them.
    pub async fn shutdown(mut self) {
        self.stop.cancel();
        while self.tasks.join_next().await.is_some() {}
    }
}

/// What shutdown does to a pass in flight.
#[derive(Clone, Copy)]
enum Finish {
    Pass,
    Cut,
}

async fn periodic<F, Fut>(pass: Arc<F>, period: Duration, stop: CancellationToken, finish: Finish)
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = tick.tick() => match finish {
                Finish::Pass => pass().await,
                Finish::Cut => tokio::select! {
                    () = stop.cancelled() => return,
                    () = pass() => {}
                },
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn a_crashed_task_is_restarted_and_shutdown_joins_it() {
        let passes = Arc::new(AtomicUsize::new(0));
        let mut sup = Supervisor::new();
        let counted = passes.clone();
        sup.every("flaky", Duration::from_millis(20), move || {
            let n = counted.fetch_add(1, Ordering::SeqCst);
            async move {
                assert!(n != 1, "the second pass crashes");
            }
        });
        // The crash costs one RESTART_AFTER pause (and the panic's backtrace, slow in a debug
        // build); passes go on after it.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while passes.load(Ordering::SeqCst) < 5 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let before = passes.load(Ordering::SeqCst);
        assert!(before >= 5, "passes went on after the crash ({before})");
        sup.shutdown().await;
        let after = passes.load(Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(
            passes.load(Ordering::SeqCst),
            after,
            "no pass after shutdown"
        );
    }

    #[tokio::test]
    async fn shutdown_waits_for_the_pass_in_flight() {
        let finished = Arc::new(AtomicUsize::new(0));
        let mut sup = Supervisor::new();
        let done = finished.clone();
        sup.every("slow", Duration::from_secs(60), move || {
            let done = done.clone();
            async move {
                tokio::time::sleep(Duration::from_millis(300)).await;
                done.fetch_add(1, Ordering::SeqCst);
            }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        sup.shutdown().await;
        assert_eq!(finished.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_pass_that_may_be_cut_is_dropped_at_shutdown() {
        let finished = Arc::new(AtomicUsize::new(0));
        let mut sup = Supervisor::new();
        let done = finished.clone();
        sup.every_cut_at_shutdown("long", Duration::from_secs(60), move || {
            let done = done.clone();
            async move {
                tokio::time::sleep(Duration::from_secs(30)).await;
                done.fetch_add(1, Ordering::SeqCst);
            }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        let started = std::time::Instant::now();
        sup.shutdown().await;
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "shutdown waited"
        );
        assert_eq!(finished.load(Ordering::SeqCst), 0);
    }
}
