//! Teams and queues: the admin page of teams, queues and capacities (the operator's own status
//! is part of the console, in `chat`).

pub mod admin_queues;
