//! Pieces every page uses: text fields, the password input, field and form errors, tables.

pub mod form_errors;
pub mod loaded;
pub mod password_input;
pub mod table;
pub mod text_field;
