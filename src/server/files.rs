//! Deal files: resumable uploads (tus) into the deal's folder or shared in the chat (in a chat
//! without a deal, kept by the chat: `home`), `#q` offers the client accepts or rejects, and
//! downloads for the chat's people.

pub mod deal_files;
pub mod home;
pub mod offers;
pub mod routes;
pub mod rules;
pub mod running_hash;
pub mod shared_staging;
pub mod uploads;
