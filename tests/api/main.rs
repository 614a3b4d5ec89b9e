//! Integration tests: each starts the real server on port 0 with a fresh database, on SQLite and on
//! PostgreSQL, and talks to it over HTTP like a browser would.

mod helpers;

mod accounts;
mod admin;
mod operations;
mod sessions;
