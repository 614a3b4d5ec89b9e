//! Operator metrics: per session wait, first response, handle time and messages; per queue and
//! per operator their median and 90th percentile for a range of days (the admin page).

pub mod service;
