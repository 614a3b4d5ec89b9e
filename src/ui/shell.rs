//! The frame around every signed-in page: layout, sidebar, the hydration marker, not found.

pub mod admins_only;
pub mod chat_layout;
pub mod hydration_marker;
pub mod not_found;
pub mod notifications;
pub mod sidebar;
