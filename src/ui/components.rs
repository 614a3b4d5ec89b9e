pub mod chat_layout;
pub mod form_errors;
pub mod hydration_marker;
pub mod password_input;
pub mod sidebar;
pub mod text_field;
