//! Deal files: the panel, resumable uploads with progress, file chips, and offer cards.

pub mod deal_files;
pub mod file_chip;
pub mod offer_card;
pub mod upload_plan;
pub mod upload_progress;
pub mod uploader;
