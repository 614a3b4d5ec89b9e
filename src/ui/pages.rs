pub mod account;
pub mod admin_users;
pub mod chat;
pub mod home;
pub mod login;
pub mod new_chat;
pub mod not_found;
pub mod signup;
