//! Teams, queues and operators: who works which queue, how its chats are handed out, how long a
//! quiet session stays open, and each employee's status and capacity. The assignment itself is
//! `chat::routing`, which reads these.

pub mod service;
