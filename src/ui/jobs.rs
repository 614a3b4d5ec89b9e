//! The administrator's failed-jobs page.

pub mod failed_jobs;
