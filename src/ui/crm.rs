//! The administrator's CRM page.

pub mod admin_crm;
pub mod chat_crm;
pub mod panel_fields;
pub mod rules;
