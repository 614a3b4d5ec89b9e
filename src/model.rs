//! Types shared by the browser and the server: roles, user views, chats and deals, the error every
//! server function returns.

pub mod account_input;
pub mod channels;
pub mod chat;
pub mod command;
pub mod crm;
pub mod crm_rules;
pub mod deal_list;
pub mod deal_record;
pub mod deal_stage;
pub mod error;
pub mod file_size;
pub mod ids;
pub mod internal_chat;
pub mod jobs;
pub mod label;
pub mod local_time;
pub mod message;
pub mod message_text;
pub mod metrics;
pub mod money;
pub mod names;
pub mod payment;
pub mod queues;
pub mod quick_replies;
pub mod record_link;
pub mod role;
pub mod user;
pub mod wire;

pub use deal_stage::{DealOutcome, DealStage};
pub use error::AppError;
pub use role::Role;
pub use user::UserView;
