//! The CRM: the port every CRM adapter implements, the built-in CRM, the Zoho adapters and their
//! connection, and the job handlers that keep the CRM's deals and notes in step with ours.

pub mod builtin;
pub mod config;
pub mod connector;
pub mod poll;
pub mod port;
pub mod record_cache;
pub mod routes;
pub mod rules;
pub mod stage_map;
pub mod stored;
pub mod switch;
pub mod sync;
pub mod sync_log;
pub mod zoho;
