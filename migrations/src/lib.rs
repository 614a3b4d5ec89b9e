//! Schema migrations; the server applies them at start-up.

pub use sea_orm_migration::prelude::*;

mod m20261121_000001_accounts;
mod m20261122_000001_deal_chat;
mod m20261123_000001_deal_tick;
mod m20261124_000001_files;
mod m20261125_000001_payments;
mod m20261202_000001_job_dead_letter;
mod m20261202_000002_message_events;
mod m20261203_000001_session_devices;
mod m20261203_000002_mail;
mod m20261204_000001_shared_staging;
mod m20261205_000001_operator_sessions;
mod m20261206_000001_queues;
mod m20261207_000001_channels;
mod m20261208_000001_quick_replies;
mod m20261209_000001_notification_sound;
mod m20261210_000001_channel_image;
mod m20261211_000001_chat_files;
mod m20261212_000001_deal_outcome;
mod m20261213_000001_transcripts;
mod m20261214_000001_crm_connection;
mod m20261214_000002_crm_deal_sync;
mod m20261214_000003_crm_config;
mod m20261214_000004_crm_sync_log;
mod m20261215_000001_crm_records;
mod m20261216_000001_workdrive_items;
mod m20261216_000002_crm_requests;
mod m20261216_000003_crm_panel_fields;
mod m20261217_000001_workdrive_pushes;
mod m20261218_000001_internal_chats;
mod m20261219_000001_record_links;
mod m20261220_000001_unread_counts;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261121_000001_accounts::Migration),
            Box::new(m20261122_000001_deal_chat::Migration),
            Box::new(m20261123_000001_deal_tick::Migration),
            Box::new(m20261124_000001_files::Migration),
            Box::new(m20261125_000001_payments::Migration),
            Box::new(m20261202_000001_job_dead_letter::Migration),
            Box::new(m20261202_000002_message_events::Migration),
            Box::new(m20261203_000001_session_devices::Migration),
            Box::new(m20261203_000002_mail::Migration),
            Box::new(m20261204_000001_shared_staging::Migration),
            Box::new(m20261205_000001_operator_sessions::Migration),
            Box::new(m20261206_000001_queues::Migration),
            Box::new(m20261207_000001_channels::Migration),
            Box::new(m20261208_000001_quick_replies::Migration),
            Box::new(m20261209_000001_notification_sound::Migration),
            Box::new(m20261210_000001_channel_image::Migration),
            Box::new(m20261211_000001_chat_files::Migration),
            Box::new(m20261212_000001_deal_outcome::Migration),
            Box::new(m20261213_000001_transcripts::Migration),
            Box::new(m20261214_000001_crm_connection::Migration),
            Box::new(m20261214_000002_crm_deal_sync::Migration),
            Box::new(m20261214_000003_crm_config::Migration),
            Box::new(m20261214_000004_crm_sync_log::Migration),
            Box::new(m20261215_000001_crm_records::Migration),
            Box::new(m20261216_000001_workdrive_items::Migration),
            Box::new(m20261216_000002_crm_requests::Migration),
            Box::new(m20261216_000003_crm_panel_fields::Migration),
            Box::new(m20261217_000001_workdrive_pushes::Migration),
            Box::new(m20261218_000001_internal_chats::Migration),
            Box::new(m20261219_000001_record_links::Migration),
            Box::new(m20261220_000001_unread_counts::Migration),
        ]
    }
}
