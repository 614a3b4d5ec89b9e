//! What every feature stands on: settings, the database and its schema, telemetry, and the
//! HTTP plumbing (serving, body limits, the panic guard, cross-site refusal, security headers,
//! errors as responses).

pub mod body_idle;
pub mod body_limit;
pub mod config;
pub mod csrf;
pub mod db;
pub mod entities;
pub mod http_error;
pub mod http_server;
pub mod panic_guard;
pub mod rate_limit;
pub mod secret_box;
pub mod security_headers;
pub mod telemetry;
