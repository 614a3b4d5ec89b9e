//! Integration tests: each starts the real server on port 0 with a fresh database, on SQLite and on
//! PostgreSQL, and talks to it over HTTP like a browser would.
// Test code states its expectations with unwrap; a panic is the failure report.
#![allow(clippy::unwrap_used)]

#[path = "../support/content.rs"]
mod content;
mod helpers;

mod accounts;
mod admin;
mod archive;
mod channels;
mod chat_authorization;
mod chat_files;
mod chats;
mod crm_rules;
mod deals_page;
mod fake_stripe;
mod files;
mod hardening;
mod internal_chats;
mod jobs;
mod mail;
mod metrics;
mod migrations;
mod operations;
mod operator_sessions;
mod pages;
mod payments;
mod quick_replies;
mod realtime;
mod record_links;
mod routing;
mod s3_store;
mod sessions;
mod transcripts;
mod transfer;
mod workdrive;
mod zoho;
mod zoho_fake;
