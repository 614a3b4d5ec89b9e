//! Pages and components. Components hold signals and views only; rules live in the server's services.

pub mod components;
pub mod pages;
