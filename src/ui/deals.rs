//! The deal beside a chat: the stage stepper, the panel with its details, and the staff's forms;
//! and the staff's Deals page (a lazy route).

pub mod deal_amount_form;
pub mod deal_fields;
pub mod deal_link_form;
pub mod deal_panel;
pub mod deal_stepper;
pub mod deals_page;
