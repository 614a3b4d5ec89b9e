//! Types shared by the browser and the server: roles, user views, the error every server function returns.

pub mod account_input;
pub mod error;
pub mod redirect;
pub mod role;
pub mod user;

pub use error::AppError;
pub use role::Role;
pub use user::UserView;
