//! Operator metrics: the admin page of per-queue, per-operator and per-session figures.

pub mod admin_metrics;
