//! Everything that runs only on the server: configuration, start-up, persistence, authentication, services.

pub mod auth;
pub mod body_limit;
pub mod chat_routes;
pub mod config;
pub mod db;
pub mod entities;
pub mod file_routes;
pub mod http_error;
pub mod http_server;
pub mod integrations;
pub mod panic_guard;
pub mod payment_routes;
pub mod realtime;
pub mod routes;
pub mod services;
pub mod startup;
pub mod state;
pub mod telemetry;
