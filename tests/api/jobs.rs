//! The job queue on a real database: retries with backoff, the dead letter after the last attempt
//! or at once on a permanent error, and the administrator's failed-jobs list and retry.

use crate::helpers::{Db, TestApp, spawn_app_with};
use crate::on_both_dbs;
use chrono::{Duration, Utc};
use dealchat::model::ids::{DealId, MailId, MessageId, OfferId, WorkDrivePushId};
use dealchat::server::jobs::{self, DataDirId, Job, JobError, JobHandler, JobKind, Runner};
use reqwest::StatusCode;
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A handler that answers every job with the same result and counts its calls.
struct Scripted {
    result: Result<(), JobError>,
    calls: AtomicUsize,
}

impl Scripted {
    fn new(result: Result<(), JobError>) -> Arc<Scripted> {
        Arc::new(Scripted {
            result,
            calls: AtomicUsize::new(0),
        })
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

#[async_trait::async_trait]
impl JobHandler for Scripted {
    async fn run(&self, _: &DatabaseConnection, _: Job) -> Result<(), JobError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.result.clone()
    }
}

/// A server that runs no jobs itself, so the test's runner is the only one that touches the
/// jobs it queues.
async fn quiet_app(db: Db) -> TestApp {
    spawn_app_with(db, &[("jobs.run", "false")]).await
}

fn runner(max_attempts: u32, handler: Arc<Scripted>) -> Runner {
    Runner::new(max_attempts, std::time::Duration::from_secs(1)).register(&JobKind::ALL, handler)
}

async fn failing_jobs_are_retried_then_dead_lettered(db: Db) {
    let app = quiet_app(db).await;
    jobs::enqueue(
        &app.db,
        Job::SyncDeal {
            deal_id: DealId(424_242),
        },
    )
    .await
    .unwrap();
    let busy = Scripted::new(Err(JobError::Retry("CRM unavailable: 503".into())));
    let run = runner(3, busy.clone());
    let start = Utc::now();
    assert_eq!(run.run_due(&app.db, start).await.unwrap(), 0);
    assert_eq!(busy.calls(), 1);
    // Not due again until its backoff has passed.
    run.run_due(&app.db, start).await.unwrap();
    assert_eq!(busy.calls(), 1, "a job waits out its backoff");
    run.run_due(&app.db, start + Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(busy.calls(), 2);
    assert!(jobs::failed(&app.db, 10).await.unwrap().is_empty());
    run.run_due(&app.db, start + Duration::hours(2))
        .await
        .unwrap();
    assert_eq!(busy.calls(), 3);
    let failed = jobs::failed(&app.db, 10).await.unwrap();
    assert_eq!(
        failed.len(),
        1,
        "the last attempt moves it to the dead letter"
    );
    assert_eq!(failed[0].job, "sync_deal");
    assert_eq!(failed[0].target, "deal 424242");
    assert_eq!(failed[0].attempts, 3);
    assert_eq!(failed[0].last_error, "CRM unavailable: 503");
    // A dead job is not tried again.
    run.run_due(&app.db, start + Duration::days(2))
        .await
        .unwrap();
    assert_eq!(busy.calls(), 3);
}
on_both_dbs!(failing_jobs_are_retried_then_dead_lettered);

async fn a_permanent_error_dead_letters_at_once_and_an_admin_retries_it(db: Db) {
    let app = quiet_app(db).await;
    jobs::enqueue(
        &app.db,
        Job::OfferNote {
            offer_id: OfferId(7),
        },
    )
    .await
    .unwrap();
    let refused = Scripted::new(Err(JobError::Permanent(
        "CRM refused the request: INVALID_DATA".into(),
    )));
    let start = Utc::now();
    runner(10, refused.clone())
        .run_due(&app.db, start)
        .await
        .unwrap();
    assert_eq!(refused.calls(), 1);

    let admin = app.admin().await;
    let listed = admin.call("admin/jobs/failed", &[]).await;
    let list = listed.expect_ok().as_array().unwrap().clone();
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["job"], "offer_note");
    assert_eq!(list[0]["target"], "offer 7");
    assert_eq!(list[0]["attempts"], 1);
    assert_eq!(
        list[0]["last_error"],
        "CRM refused the request: INVALID_DATA"
    );
    let id = list[0]["id"].as_i64().unwrap().to_string();

    admin
        .call("admin/jobs/retry", &[("job_id", &id)])
        .await
        .expect_ok();
    assert!(jobs::failed(&app.db, 10).await.unwrap().is_empty());
    // A second click finds nothing to retry.
    assert_eq!(
        admin
            .call("admin/jobs/retry", &[("job_id", &id)])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // Queued again with a fresh count: the next pass runs it.
    let fixed = Scripted::new(Ok(()));
    let done = runner(10, fixed.clone())
        .run_due(&app.db, start + Duration::seconds(1))
        .await
        .unwrap();
    assert_eq!((done, fixed.calls()), (1, 1));
    assert!(jobs::failed(&app.db, 10).await.unwrap().is_empty());
}
on_both_dbs!(a_permanent_error_dead_letters_at_once_and_an_admin_retries_it);

async fn only_admins_see_and_retry_failed_jobs(db: Db) {
    let app = quiet_app(db).await;
    jobs::enqueue(
        &app.db,
        Job::PaymentNote {
            message_id: MessageId(3),
        },
    )
    .await
    .unwrap();
    runner(
        1,
        Scripted::new(Err(JobError::Retry("CRM unavailable".into()))),
    )
    .run_due(&app.db, Utc::now())
    .await
    .unwrap();
    let id = jobs::failed(&app.db, 10).await.unwrap()[0].id.to_string();
    let anonymous = app.client();
    let client = app.signed_up_client("cleo@example.com").await;
    let manager = app.manager("max@example.com", "Max").await;
    for (who, caller, status) in [
        ("anonymous", &anonymous, StatusCode::UNAUTHORIZED),
        ("client", &client, StatusCode::FORBIDDEN),
        ("manager", &manager, StatusCode::FORBIDDEN),
    ] {
        assert_eq!(
            caller.call("admin/jobs/failed", &[]).await.status,
            status,
            "{who} lists"
        );
        assert_eq!(
            caller
                .call("admin/jobs/retry", &[("job_id", &id)])
                .await
                .status,
            status,
            "{who} retries"
        );
    }
    assert_eq!(
        jobs::failed(&app.db, 10).await.unwrap().len(),
        1,
        "nobody but an admin moved it"
    );
    let admin = app.admin().await;
    let page = admin.get("/admin/jobs").await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("payment_note"), "the page lists the job");
    assert!(html.contains("message 3"));
}
on_both_dbs!(only_admins_see_and_retry_failed_jobs);

/// A handler that takes its time over each job.
struct Slow {
    took: std::time::Duration,
    calls: AtomicUsize,
}

#[async_trait::async_trait]
impl JobHandler for Slow {
    async fn run(&self, _: &DatabaseConnection, _: Job) -> Result<(), JobError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(self.took).await;
        Ok(())
    }
}

/// A job queued for one data directory (it reads a file kept there) is taken by that directory's
/// runner only; a runner takes only the kinds it has handlers for, and leaves the rest waiting
/// rather than dead-lettering them.
async fn pinned_jobs_run_where_their_file_is_and_runners_keep_to_their_kinds(db: Db) {
    let app = quiet_app(db).await;
    let push = Job::WorkDrivePush {
        push_id: WorkDrivePushId(5),
    };
    jobs::enqueue_on(&app.db, push, &DataDirId("disk-a".into()))
        .await
        .unwrap();
    let now = Utc::now();
    let elsewhere = Scripted::new(Ok(()));
    runner(3, elsewhere.clone())
        .here(DataDirId("disk-b".into()))
        .run_due(&app.db, now)
        .await
        .unwrap();
    runner(3, elsewhere.clone())
        .run_due(&app.db, now)
        .await
        .unwrap();
    assert_eq!(
        elsewhere.calls(),
        0,
        "another data directory's runner took it"
    );

    // A runner for other kinds leaves it (and a mail) alone.
    jobs::enqueue(&app.db, Job::SendMail { mail_id: MailId(9) })
        .await
        .unwrap();
    let now = Utc::now();
    let deals_only = Scripted::new(Ok(()));
    Runner::new(3, std::time::Duration::from_secs(1))
        .here(DataDirId("disk-a".into()))
        .register(&[JobKind::SyncDeal], deals_only.clone())
        .run_due(&app.db, now)
        .await
        .unwrap();
    assert_eq!(deals_only.calls(), 0);
    assert!(jobs::failed(&app.db, 10).await.unwrap().is_empty());

    let here = Scripted::new(Ok(()));
    let done = Runner::new(3, std::time::Duration::from_secs(1))
        .here(DataDirId("disk-a".into()))
        .register(&[JobKind::WorkDrivePush], here.clone())
        .run_due(&app.db, now)
        .await
        .unwrap();
    assert_eq!((done, here.calls()), (1, 1));
    // The mail is still there for the mail runner.
    let mail = Scripted::new(Ok(()));
    Runner::new(3, std::time::Duration::from_secs(1))
        .register(&[JobKind::SendMail], mail.clone())
        .run_due(&app.db, now)
        .await
        .unwrap();
    assert_eq!(mail.calls(), 1);
}
on_both_dbs!(pinned_jobs_run_where_their_file_is_and_runners_keep_to_their_kinds);

/// A job running longer than a claim keeps its claim: another runner passing meanwhile does not
/// take it a second time.
async fn a_long_job_keeps_its_claim(db: Db) {
    let app = quiet_app(db).await;
    jobs::enqueue(
        &app.db,
        Job::SyncDeal {
            deal_id: DealId(77),
        },
    )
    .await
    .unwrap();
    let slow = Arc::new(Slow {
        took: std::time::Duration::from_millis(2500),
        calls: AtomicUsize::new(0),
    });
    let claim = std::time::Duration::from_millis(600);
    let first = Runner::new(3, std::time::Duration::from_secs(1))
        .claim_for(claim)
        .register(&JobKind::ALL, slow.clone());
    let second = first.clone();
    let db_first = app.db.clone();
    let running = tokio::spawn(async move { first.run_due(&db_first, Utc::now()).await });
    // Passes of another runner, long after the first claim would have run out unrenewed.
    for _ in 0..10 {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        second.run_due(&app.db, Utc::now()).await.unwrap();
    }
    assert_eq!(running.await.unwrap().unwrap(), 1);
    assert_eq!(slow.calls.load(Ordering::SeqCst), 1, "the job ran twice");
}
on_both_dbs!(a_long_job_keeps_its_claim);
