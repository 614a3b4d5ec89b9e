//! A short-lived copy of the CRM records shown beside chats: the panel reads the CRM when a chat
//! opens, and the reloads it makes by itself (after a request, while one is being made) within
//! `crm.panel_cache_secs` are answered from here, so a busy console does not spend the CRM's API
//! credits on records it read seconds ago.

use crate::model::crm_rules::CrmModule;
use crate::server::crm::port::CrmRecord;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Records kept at most; beyond, the expired go, and all of them if that is not enough.
const MAX_RECORDS: usize = 10_000;

type Key = (String, CrmModule, String);

pub struct RecordCache {
    ttl: Duration,
    records: Mutex<HashMap<Key, (Instant, CrmRecord)>>,
}

impl RecordCache {
    pub fn new(ttl: Duration) -> RecordCache {
        RecordCache {
            ttl,
            records: Mutex::new(HashMap::new()),
        }
    }

    /// The record read within the last `ttl`, if any.
    pub fn get(&self, provider: &str, module: CrmModule, id: &str) -> Option<CrmRecord> {
        self.get_at(Instant::now(), provider, module, id)
    }

    fn get_at(
        &self,
        now: Instant,
        provider: &str,
        module: CrmModule,
        id: &str,
    ) -> Option<CrmRecord> {
        let records = self.records.lock().ok()?;
        let (at, record) = records.get(&(provider.to_owned(), module, id.to_owned()))?;
        (now.saturating_duration_since(*at) < self.ttl).then(|| record.clone())
    }

    pub fn put(&self, provider: &str, module: CrmModule, record: &CrmRecord) {
        self.put_at(Instant::now(), provider, module, record);
    }

    fn put_at(&self, now: Instant, provider: &str, module: CrmModule, record: &CrmRecord) {
        if self.ttl.is_zero() {
            return;
        }
        let Ok(mut records) = self.records.lock() else {
            return;
        };
        if records.len() >= MAX_RECORDS {
            let ttl = self.ttl;
            records.retain(|_, (at, _)| now.saturating_duration_since(*at) < ttl);
            if records.len() >= MAX_RECORDS {
                records.clear();
            }
        }
        records.insert(
            (provider.to_owned(), module, record.id.clone()),
            (now, record.clone()),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str) -> CrmRecord {
        CrmRecord {
            id: id.into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_record_is_served_until_it_is_older_than_the_ttl() {
        let cache = RecordCache::new(Duration::from_secs(60));
        let t0 = Instant::now();
        cache.put_at(t0, "zoho", CrmModule::Contacts, &record("7"));
        let got = |secs| {
            cache
                .get_at(
                    t0 + Duration::from_secs(secs),
                    "zoho",
                    CrmModule::Contacts,
                    "7",
                )
                .map(|r| r.id)
        };
        assert_eq!(got(59).as_deref(), Some("7"));
        assert_eq!(got(60), None);
        // Another module or CRM is another record.
        assert!(cache.get_at(t0, "zoho", CrmModule::Leads, "7").is_none());
        assert!(
            cache
                .get_at(t0, "builtin", CrmModule::Contacts, "7")
                .is_none()
        );
    }

    #[test]
    fn a_zero_ttl_keeps_nothing() {
        let cache = RecordCache::new(Duration::ZERO);
        cache.put("zoho", CrmModule::Contacts, &record("7"));
        assert!(cache.get("zoho", CrmModule::Contacts, "7").is_none());
    }
}
