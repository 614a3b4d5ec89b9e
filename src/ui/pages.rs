pub mod account;
pub mod admin_users;
pub mod home;
pub mod login;
pub mod not_found;
pub mod signup;
