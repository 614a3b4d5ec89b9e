//! The job queue on a real database: retries with backoff, the dead letter after the last attempt
//! or at once on a permanent error, and the administrator's failed-jobs list and retry.

use crate::helpers::{Db, TestApp, spawn_app_with};
use crate::on_both_dbs;
use chrono::{Duration, Utc};
use dealchat::model::ids::{DealId, MessageId, OfferId};
use dealchat::server::jobs::{self, Job, JobError, JobHandler, JobKind, Runner};
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
