//! Form pieces every page uses: text fields, the password input, field and form errors.

pub mod form_errors;
pub mod password_input;
pub mod text_field;
