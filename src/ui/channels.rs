//! Channels: the admin page where channels are made, tied to a queue and given their rights
//! (the client's choice of channel is part of starting a chat, in `chat`).

pub mod admin_channels;
