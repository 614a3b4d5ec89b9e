//! The browser UI, one folder per feature as on the server (ARCHITECTURE.md): each holds its
//! pages, its components and the plain state rules they run on (tested without a browser).

pub mod accounts;
pub mod archive;
pub mod browser;
pub mod channels;
pub mod chat;
pub mod crm;
pub mod deals;
pub mod files;
pub mod forms;
pub mod internal_chats;
pub mod jobs;
pub mod lazy_page;
pub mod metrics;
pub mod page_data;
pub mod payments;
pub mod queues;
pub mod quick_replies;
pub mod shell;
