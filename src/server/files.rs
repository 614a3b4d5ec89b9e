//! Deal files: resumable uploads (tus) into the deal's folder or shared in the chat, `#q`
//! offers the client accepts or rejects, and downloads for the deal's people.

pub mod deal_files;
pub mod offers;
pub mod routes;
pub mod rules;
pub mod running_hash;
pub mod shared_staging;
pub mod uploads;
