//! Everything that runs only on the server, one folder per feature. ARCHITECTURE.md at the
//! repository's root is the map: which folder holds what, and which may import which.

// Below the features: settings, database, schema, HTTP plumbing; the change clock; the job queue.
pub mod jobs;
pub mod platform;
pub mod realtime;
// Shared by the features: who may see a conversation, the message log, the file store port,
// outgoing mail.
pub mod access;
pub mod mail;
pub mod messages;
pub mod storage;
// The features.
pub mod accounts;
pub mod archive;
pub mod channels;
pub mod chat;
pub mod crm;
pub mod deals;
pub mod files;
pub mod internal_chats;
pub mod metrics;
pub mod payments;
pub mod queues;
pub mod quick_replies;
// Wires the features into one application: state, router, start-up.
pub mod startup;

#[cfg(test)]
pub(crate) mod layers;
#[cfg(test)]
mod properties;
