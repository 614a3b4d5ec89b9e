//! The CRM: the port every CRM adapter implements, the built-in CRM, and the job handlers
//! that keep the CRM's deals and notes in step with ours.

pub mod builtin;
pub mod port;
pub mod sync;
