//! sea-orm entities, one module per table.

pub mod conversation;
pub mod conversation_member;
pub mod crm_contact;
pub mod crm_deal;
pub mod crm_note;
pub mod crm_ref;
pub mod deal;
pub mod file;
pub mod file_offer;
pub mod login_throttle;
pub mod mail;
pub mod mail_notice;
pub mod mail_token;
pub mod message;
pub mod operator;
pub mod operator_session;
pub mod outbox_job;
pub mod payment;
pub mod payment_event;
pub mod queue;
pub mod session;
pub mod team;
pub mod team_member;
pub mod upload;
pub mod user;
