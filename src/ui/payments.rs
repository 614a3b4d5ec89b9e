//! The payment card a `#p` request shows in the chat.

pub mod payment_card;
