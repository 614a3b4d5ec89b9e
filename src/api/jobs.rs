//! The failed-jobs page: the dead letter of the job queue, and retrying a job from it.

use crate::model::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::api::{require_admin, respond, state};

/// The jobs that failed for good (the dead letter), newest first.
#[server(endpoint = "admin/jobs/failed", output = crate::model::wire::Answer)]
pub async fn failed_jobs() -> Result<Vec<crate::model::jobs::FailedJobView>, AppError> {
    respond(
        async {
            require_admin()?;
            Ok(crate::server::jobs::failed(&state().db, FAILED_JOBS_SHOWN).await?)
        }
        .await,
    )
}

/// Puts a failed job back in the queue.
#[server(endpoint = "admin/jobs/retry", output = crate::model::wire::Answer)]
pub async fn retry_job(job_id: i64) -> Result<(), AppError> {
    respond(
        async {
            let me = require_admin()?;
            tracing::info!(
                admin = %me.user.id,
                job = job_id,
                "admin retries a failed job"
            );
            crate::server::jobs::retry(&state().db, job_id).await
        }
        .await,
    )
}

/// The failed-jobs page shows at most this many (the newest).
#[cfg(feature = "ssr")]
const FAILED_JOBS_SHOWN: u64 = 200;
