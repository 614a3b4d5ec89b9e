//! Operator metrics for a range of days (administrators).

use crate::model::AppError;
use crate::model::metrics::MetricsReport;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::api::{respond, state, viewer};
#[cfg(feature = "ssr")]
use crate::server::metrics::service as metrics;

/// Days `from`..=`to` as `YYYY-MM-DD` (blank: the last week), in the time zone `offset_min`
/// minutes east of UTC.
#[server(endpoint = "admin/metrics", output = crate::model::wire::Answer)]
pub async fn load_metrics(
    from: Option<String>,
    to: Option<String>,
    offset_min: i32,
) -> Result<MetricsReport, AppError> {
    respond(
        async {
            let viewer = viewer()?;
            viewer.admin_only()?;
            let range = metrics::parse_range(
                from.as_deref(),
                to.as_deref(),
                offset_min,
                chrono::Utc::now(),
            )?;
            metrics::report(&state().db, viewer, range).await
        }
        .await,
    )
}
