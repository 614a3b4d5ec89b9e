//! What the administrator's failed-jobs page shows of a job in the dead letter.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedJobView {
    pub id: i64,
    /// The job's kind as stored (`sync_deal`, `offer_note`, …).
    pub job: String,
    /// What it was about, e.g. "deal 42".
    pub target: String,
    pub attempts: i32,
    pub last_error: String,
    /// When it failed for good, in UTC (`2026-12-02 08:15 UTC`): the same text on the server
    /// and in every browser.
    pub failed_at: String,
}
