//! Pages and components, the chat state they share, and the pure logic behind it. Components
//! hold signals and views only; rules live in the server's services and in `state`.

pub mod browser;
pub mod components;
pub mod live;
pub mod pages;
pub mod state;
pub mod uploader;
