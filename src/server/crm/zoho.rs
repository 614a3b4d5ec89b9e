//! The Zoho adapters: OAuth (`oauth`), the authorised client every call goes through (`api`),
//! and connecting from the admin CRM page (`connection`).

pub mod api;
pub mod connection;
pub mod crm;
pub mod oauth;
pub mod records;
pub mod workdrive;
