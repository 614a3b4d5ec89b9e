//! Quick replies: admins' templates (a title, a text with placeholders, a language, optionally a
//! team) and, for the operator of a chat, the ones that fit it with their placeholders filled.

pub mod service;
