//! The connector: client chats recorded in the CRM by the admin's rules (`model::crm_rules`).
//!
//! When a chat starts, its client is found among the CRM's leads or contacts by the module's
//! identification rules (or the record we noted for them before); a record found is updated by
//! the update policy, a client not found gets a new Lead (sales) or Contact (support). When an
//! operator session closes, it becomes a Task or a Case with the session's transcript, times and
//! files, linked to that person and the deal. Both are jobs (`CrmPerson`, `CrmSession`) queued
//! in the write that starts the chat or closes the session.
//!
//! Every decision is a plan (`PlanStep`s) made by reading only, then carried out; the dry run on
//! the CRM page shows the same plan without carrying it out.

use crate::model::AppError;
use crate::model::crm_rules::{
    ATTACHMENTS, ChatCrmView, ChatPick, ConnectorMode, ConnectorRules, CrmFieldView, CrmModule,
    CrmRecordLink, CrmRecordView, ManualCrm, MatchRule, ModuleRules, OWNER, OurField, PanelFields,
    PlanAction, PlanStep, RulesView,
};
use crate::model::ids::{ConversationId, CrmRequestId, DealId, FileId, OperatorSessionId, UserId};
use crate::model::message::{MessageContent, SystemEvent};
use crate::server::access::{self, Viewer};
use crate::server::crm::port::{
    CrmError, CrmPort, CrmRecord, Link, Lookup, NewAttachment, RecordWrite,
};
use crate::server::crm::record_cache::RecordCache;
use crate::server::crm::rules::{self, Facts};
use crate::server::crm::stored::{self, Setting};
use crate::server::crm::switch::Crms;
use crate::server::crm::sync::{deal_ref, delivered, read_file, remember, remote_id, replace_ref};
use crate::server::crm::sync_log::{self, About};
use crate::server::jobs::{self, Job};
use crate::server::messages;
use crate::server::platform::entities::{
    channel, conversation, crm_ref, crm_request, file, message, operator_session, user,
};
use crate::server::storage::FileStore;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

/// The most messages of one session written into its record's Description.
const MAX_SESSION_MESSAGES: u64 = 2_000;

/// Where the CRM id of a client's lead or contact is kept (with the client's user id). A
/// contact shares its name with the deal sync's, so both use one contact per client.
fn person_ref(module: CrmModule) -> &'static str {
    match module {
        CrmModule::Leads => "lead",
        _ => "user",
    }
}

/// Where the CRM id of a session's task or case is kept (with the session's id).
fn session_ref(module: CrmModule) -> &'static str {
    match module {
        CrmModule::Tasks => "session_task",
        _ => "session_case",
    }
}

/// The rules for `provider`: the admin's, else the defaults.
pub async fn rules_of(db: &DatabaseConnection, provider: &str) -> Result<ConnectorRules, DbErr> {
    stored::read(db, provider, Setting::Rules).await
}

fn unavailable(e: CrmError) -> AppError {
    e.asking("")
}

/// Each module's fields in `crm`, for the rules form and its check.
async fn all_fields(crm: &dyn CrmPort) -> Result<Vec<(CrmModule, Vec<CrmFieldView>)>, AppError> {
    let mut fields = Vec::new();
    for module in CrmModule::ALL {
        fields.push((
            module,
            crm.module_fields(module).await.map_err(unavailable)?,
        ));
    }
    Ok(fields)
}

/// The rules with each module's fields in the CRM in use, for the CRM page.
pub async fn rules_view(db: &DatabaseConnection, crms: &Crms) -> Result<RulesView, AppError> {
    let crm = crms.current().await?;
    Ok(RulesView {
        rules: rules_of(db, crm.provider()).await?,
        fields: all_fields(crm.as_ref()).await?,
        panel: stored::read(db, crm.provider(), Setting::PanelFields).await?,
    })
}

/// Saves the fields shown beside chats for the CRM in use, once they pass `rules::check_panel`
/// against its fields.
#[tracing::instrument(skip(db, crms, panel))]
pub async fn save_panel(
    db: &DatabaseConnection,
    crms: &Crms,
    admin: UserId,
    panel: &PanelFields,
) -> Result<(), AppError> {
    let crm = crms.current().await?;
    rules::check_panel(panel, &all_fields(crm.as_ref()).await?)?;
    stored::save(db, crm.provider(), admin, Setting::PanelFields, panel).await?;
    tracing::info!(
        provider = crm.provider(),
        "admin saved the fields shown beside chats"
    );
    Ok(())
}

/// Saves the admin's rules for the CRM in use, once they pass `rules::check` against its fields.
#[tracing::instrument(skip(db, crms, rules))]
pub async fn save_rules(
    db: &DatabaseConnection,
    crms: &Crms,
    admin: UserId,
    rules: &ConnectorRules,
) -> Result<(), AppError> {
    let crm = crms.current().await?;
    rules::check(rules, &all_fields(crm.as_ref()).await?)?;
    stored::save(db, crm.provider(), admin, Setting::Rules, rules).await?;
    tracing::info!(
        provider = crm.provider(),
        mode = rules.mode.as_str(),
        "admin saved the connector rules"
    );
    Ok(())
}

/// A client chat and what the rules may read of it.
struct Chat {
    conversation: conversation::Model,
    client: user::Model,
    facts: Facts,
}

fn time_text(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// The chat's client facts (who, how to reach them, where they wrote, who serves them now).
async fn chat(db: &DatabaseConnection, id: ConversationId) -> Result<Option<Chat>, CrmError> {
    let Some(conversation) = conversation::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    let Some(client_id) = conversation.client_id else {
        return Ok(None); // Not a client chat.
    };
    let Some(client) = user::Entity::find_by_id(client_id).one(db).await? else {
        return Ok(None);
    };
    let mut facts = Facts::default();
    facts.set(OurField::Name, client.display_name.clone());
    let (first, last) = rules::split_name(&client.display_name);
    facts.set(OurField::FirstName, first.unwrap_or_default());
    facts.set(OurField::LastName, last);
    facts.set(OurField::Email, client.email.clone());
    facts.set(OurField::Phone, client.phone.clone().unwrap_or_default());
    facts.set(
        OurField::Company,
        client.company.clone().unwrap_or_default(),
    );
    facts.set(OurField::ClientId, client.id.0.to_string());
    facts.set(OurField::ChatId, conversation.id.0.to_string());
    facts.set(OurField::StartTime, time_text(conversation.created_at));
    if let Some(channel_id) = conversation.channel_id
        && let Some(c) = channel::Entity::find_by_id(channel_id).one(db).await?
    {
        facts.set(OurField::Channel, c.name);
    }
    if let Some(agent) = conversation.assignee_id
        && let Some(u) = user::Entity::find_by_id(agent).one(db).await?
    {
        facts.set(OurField::Agent, u.email);
    }
    Ok(Some(Chat {
        conversation,
        client,
        facts,
    }))
}

/// The person's plan: the record found (how), or to be created, and what is written.
struct PersonPlan {
    step: PlanStep,
    found: Option<CrmRecord>,
    write: RecordWrite,
}

/// Plans the chat's client in `module` (Leads or Contacts), reading the CRM only.
async fn plan_person(
    db: &DatabaseConnection,
    crm: &dyn CrmPort,
    rules: &ConnectorRules,
    module: CrmModule,
    chat: &Chat,
) -> Result<PersonPlan, CrmError> {
    let module_rules = section(rules, module)?;
    let filled = rules::fill(module_rules, &chat.facts);
    let mut found = None;
    let mut why = String::new();
    if let Some(id) = remote_id(db, crm.provider(), person_ref(module), chat.client.id.0).await?
        && let Some(record) = crm.get_record(module, &id).await?
    {
        why = format!("the {} recorded for this client", module.singular());
        found = Some(record);
    }
    if found.is_none()
        && let Some((record, rule)) =
            identify(crm, module, &module_rules.identify, &chat.facts).await?
    {
        // An address nobody proved is theirs must not attach them to someone else's record:
        // the delivery waits, and verifying the address queues it again.
        if chat.client.email_verified_at.is_none() {
            return Err(CrmError::Unavailable(format!(
                "waiting for the client to verify {}: a CRM {} matches them by {}",
                chat.client.email,
                module.singular(),
                rules::describe_rule(rule)
            )));
        }
        why = format!("found by {}", rules::describe_rule(rule));
        found = Some(record);
    }
    // The owner rule sets a new record's owner; a record found keeps its own.
    let owner = if filled.owner && found.is_none() {
        crm.owner_for(chat.facts.get(OurField::Agent)).await?
    } else {
        None
    };
    let (action, fields, write) = match &found {
        Some(record) => {
            let changes = rules::changes(rules.update, &record.fields, &filled.fields);
            let action = if changes.is_empty() {
                PlanAction::Keep
            } else {
                PlanAction::Update
            };
            (
                action,
                changes.clone(),
                RecordWrite {
                    fields: changes,
                    owner: None,
                    links: Vec::new(),
                },
            )
        }
        None => {
            why = format!(
                "no {} matches this client by the identification rules",
                module.singular()
            );
            let mut links = Vec::new();
            if module == CrmModule::Contacts
                && let Some((account, _)) = identify(
                    crm,
                    CrmModule::Accounts,
                    &section(rules, CrmModule::Accounts)?.identify,
                    &chat.facts,
                )
                .await?
            {
                links.push(Link::Account(account.id));
            }
            (
                PlanAction::Create,
                filled.fields.clone(),
                RecordWrite {
                    fields: filled.fields.clone(),
                    owner: owner.clone(),
                    links,
                },
            )
        }
    };
    Ok(PersonPlan {
        step: PlanStep {
            module,
            action,
            record_id: found.as_ref().map(|r| r.id.clone()),
            owner: match action {
                PlanAction::Create => owner.map(|o| o.email),
                _ => found.as_ref().and_then(|r| r.owner_email.clone()),
            },
            fields,
            attachments: Vec::new(),
            why,
        },
        found,
        write,
    })
}

/// How `rule` asks the CRM for `value`.
fn lookup<'a>(rule: &'a MatchRule, value: &'a str) -> Lookup<'a> {
    match rule {
        MatchRule::Email => Lookup::Email(value),
        MatchRule::Phone => Lookup::Phone(value),
        MatchRule::Field { field, .. } => Lookup::Field {
            field: field.as_str(),
            value,
        },
    }
}

/// The rules' section for `module`.
fn section(rules: &ConnectorRules, module: CrmModule) -> Result<&ModuleRules, CrmError> {
    rules
        .module(module)
        .ok_or_else(|| CrmError::Rejected(format!("the rules have no {} section", module.as_str())))
}

/// The first record of `module` that one of `identify` finds, in order, with the rule that
/// found it.
async fn identify<'r>(
    crm: &dyn CrmPort,
    module: CrmModule,
    identify: &'r [MatchRule],
    facts: &Facts,
) -> Result<Option<(CrmRecord, &'r MatchRule)>, CrmError> {
    for rule in identify {
        let Some(value) = rules::match_value(rule, facts) else {
            continue;
        };
        if let Some(found) = crm.find_record(module, lookup(rule, value)).await? {
            return Ok(Some((found, rule)));
        }
    }
    Ok(None)
}

/// Carries out a person plan; returns the person's CRM id.
async fn carry_out_person(
    db: &DatabaseConnection,
    crm: &dyn CrmPort,
    module: CrmModule,
    client: UserId,
    plan: PersonPlan,
) -> Result<String, CrmError> {
    let provider = crm.provider();
    let id = match (&plan.found, plan.step.action) {
        (Some(record), PlanAction::Update) => {
            crm.update_record(module, &record.id, &plan.write).await?;
            record.id.clone()
        }
        (Some(record), _) => record.id.clone(),
        (None, _) => crm.create_record(module, &plan.write).await?,
    };
    if remote_id(db, provider, person_ref(module), client.0)
        .await?
        .as_deref()
        != Some(id.as_str())
    {
        replace_ref(db, provider, person_ref(module), client.0, &id).await?;
    }
    Ok(id)
}

/// The chat's client found or created in `module` by the rules: the plan, carried out.
async fn person(
    db: &DatabaseConnection,
    crm: &dyn CrmPort,
    rules: &ConnectorRules,
    module: CrmModule,
    chat: &Chat,
) -> Result<String, CrmError> {
    let plan = plan_person(db, crm, rules, module, chat).await?;
    carry_out_person(db, crm, module, chat.client.id, plan).await
}

/// The `CrmPerson` job: the chat's client found or created in the CRM by the rules, once per
/// chat start (a later delivery finds the record we noted).
pub async fn record_person(
    db: &DatabaseConnection,
    crm: &dyn CrmPort,
    conversation_id: ConversationId,
) -> Result<(), CrmError> {
    let rules = rules_of(db, crm.provider()).await?;
    let Some((module, _)) = rules.mode.modules() else {
        return Ok(()); // Manual: staff create records from the chat.
    };
    let Some(chat) = chat(db, conversation_id).await? else {
        return Ok(());
    };
    person(db, crm, &rules, module, &chat).await?;
    Ok(())
}

/// The CRM contact a deal goes to, when the rules make contacts (support): the deal's client
/// found or created by the rules, as at the start of its chat, so the deal and the connector
/// share one contact whichever job runs first. None otherwise (the deal sync finds its own).
pub async fn contact_for_deal(
    db: &DatabaseConnection,
    crm: &dyn CrmPort,
    deal_id: DealId,
) -> Result<Option<String>, CrmError> {
    let rules = rules_of(db, crm.provider()).await?;
    if rules.mode != ConnectorMode::Support {
        return Ok(None);
    }
    let Some(first) = conversation::Entity::find()
        .filter(conversation::Column::DealId.eq(deal_id))
        .order_by_asc(conversation::Column::Id)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let Some(chat) = chat(db, first.id).await? else {
        return Ok(None);
    };
    Ok(Some(
        person(db, crm, &rules, CrmModule::Contacts, &chat).await?,
    ))
}

/// A closed (or, for the dry run, still open) operator session and what it adds to the facts.
struct Session {
    row: operator_session::Model,
    files: Vec<file::Model>,
}

/// The session's facts: its agent, times, wrap-up, the notes left on transfers, the transcript
/// as text, and the files shared in it.
async fn session_facts(
    db: &DatabaseConnection,
    row: operator_session::Model,
    facts: &mut Facts,
) -> Result<Session, CrmError> {
    let end = row.closed_at.unwrap_or_else(Utc::now);
    facts.set(OurField::StartTime, time_text(row.opened_at));
    facts.set(OurField::EndTime, time_text(end));
    facts.set(OurField::WrapUp, row.wrap_up.clone().unwrap_or_default());
    facts.values.remove(OurField::Agent.as_str());
    if let Some(agent) = row.operator_id
        && let Some(u) = user::Entity::find_by_id(agent).one(db).await?
    {
        facts.set(OurField::Agent, u.email);
    }
    // The session's messages: those after the session before it closed (the client's message
    // that opened this one included), up to its own close.
    let before: Option<DateTime<Utc>> = operator_session::Entity::find()
        .filter(operator_session::Column::ConversationId.eq(row.conversation_id))
        .filter(operator_session::Column::Id.lt(row.id))
        .order_by_desc(operator_session::Column::Id)
        .one(db)
        .await?
        .and_then(|s| s.closed_at);
    let mut query = message::Entity::find()
        .filter(message::Column::ConversationId.eq(row.conversation_id))
        .filter(message::Column::CreatedAt.lte(end));
    if let Some(before) = before {
        query = query.filter(message::Column::CreatedAt.gt(before));
    }
    let ids: Vec<(crate::model::ids::MessageId, Option<FileId>)> = query
        .order_by_asc(message::Column::Seq)
        .select_only()
        .columns([message::Column::Id, message::Column::FileId])
        .limit(MAX_SESSION_MESSAGES)
        .into_tuple()
        .all(db)
        .await?;
    let mut lines =
        messages::by_ids(db, &ids.iter().map(|(id, _)| *id).collect::<Vec<_>>()).await?;
    lines.sort_by_key(|m| m.seq);
    let mut transcript = Vec::with_capacity(lines.len());
    let mut notes = Vec::new();
    for line in &lines {
        let at = DateTime::from_timestamp_millis(line.created_at_ms)
            .map(|t| t.format("%H:%M").to_string())
            .unwrap_or_default();
        let text = line.content.describe(&line.sender_name);
        transcript.push(match &line.content {
            MessageContent::System { .. } => format!("[{at}] {text}"),
            _ => format!("[{at}] {}: {text}", line.sender_name),
        });
        if let MessageContent::System {
            event:
                SystemEvent::Transferred { note: Some(n), .. }
                | SystemEvent::Requeued { note: Some(n), .. },
        } = &line.content
        {
            notes.push(n.clone());
        }
    }
    facts.set(OurField::ChatContent, transcript.join("\n"));
    facts.set(OurField::Notes, notes.join("\n"));
    let file_ids: Vec<FileId> = ids.iter().filter_map(|(_, f)| *f).collect();
    let mut files = if file_ids.is_empty() {
        Vec::new()
    } else {
        file::Entity::find()
            .filter(file::Column::Id.is_in(file_ids))
            .order_by_asc(file::Column::Id)
            .all(db)
            .await?
    };
    files.dedup_by_key(|f| f.id);
    Ok(Session { row, files })
}

/// Plans the session's task or case (reading only). `person` is the person's CRM id, if known.
async fn plan_session(
    db: &DatabaseConnection,
    crm: &dyn CrmPort,
    rules: &ConnectorRules,
    (person_module, module): (CrmModule, CrmModule),
    chat: &Chat,
    session: &Session,
    person: Option<&str>,
) -> Result<(PlanStep, RecordWrite), CrmError> {
    let provider = crm.provider();
    if let Some(id) = remote_id(db, provider, session_ref(module), session.row.id.0).await? {
        return Ok((
            PlanStep {
                module,
                action: PlanAction::Keep,
                record_id: Some(id),
                owner: None,
                fields: Vec::new(),
                attachments: Vec::new(),
                why: "this session is already recorded".into(),
            },
            RecordWrite::default(),
        ));
    }
    let filled = rules::fill(section(rules, module)?, &chat.facts);
    let owner = if filled.owner {
        crm.owner_for(chat.facts.get(OurField::Agent)).await?
    } else {
        None
    };
    let mut links = Vec::new();
    if let Some(person) = person {
        links.push(Link::Person(person_module, person.to_owned()));
    }
    if let Some(deal) = chat.conversation.deal_id
        && let Some(id) = delivered(db, crm, deal).await?
    {
        links.push(Link::Deal(id));
    }
    let attachments = if filled.attachments {
        session.files.iter().map(|f| f.name.clone()).collect()
    } else {
        Vec::new()
    };
    Ok((
        PlanStep {
            module,
            action: PlanAction::Create,
            record_id: None,
            owner: owner.as_ref().map(|o| o.email.clone()),
            fields: filled.fields.clone(),
            attachments,
            why: match session.row.closed_at {
                Some(_) => "one for each closed operator session".into(),
                None => "when this open session closes".into(),
            },
        },
        RecordWrite {
            fields: filled.fields,
            owner,
            links,
        },
    ))
}

/// The `CrmSession` job: a closed session recorded as a Task (sales) or Case (support), linked
/// to the client's lead or contact and to the deal, with the files shared in it. Once per
/// session: its record's id is noted, and attaching is idempotent by name and content.
pub async fn record_session(
    db: &DatabaseConnection,
    crm: &dyn CrmPort,
    files: Files<'_>,
    session_id: OperatorSessionId,
) -> Result<(), CrmError> {
    let rules = rules_of(db, crm.provider()).await?;
    let Some(modules) = rules.mode.modules() else {
        return Ok(());
    };
    let Some(row) = operator_session::Entity::find_by_id(session_id)
        .one(db)
        .await?
    else {
        return Ok(());
    };
    if row.closed_at.is_none() {
        return Ok(()); // Queued by the close; a session never opens again (a new one does).
    }
    session_as(db, crm, &rules, files, row, modules).await?;
    Ok(())
}

/// Where a session's files are read from to attach them, and the largest attached.
#[derive(Clone, Copy)]
pub struct Files<'a> {
    pub store: &'a dyn FileStore,
    pub max_bytes: usize,
}

/// The session `row` (closed, or open when staff ask for its record) recorded as a record of
/// `modules.1`, linked to the client's record in `modules.0` (found or created) and the deal;
/// its record's id (None for a chat without its client).
async fn session_as(
    db: &DatabaseConnection,
    crm: &dyn CrmPort,
    rules: &ConnectorRules,
    files: Files<'_>,
    row: operator_session::Model,
    modules: (CrmModule, CrmModule),
) -> Result<Option<String>, CrmError> {
    let session_id = row.id;
    let Some(mut chat) = chat(db, row.conversation_id).await? else {
        return Ok(None);
    };
    // The person first (its own job may still wait), then the deal, so the record links both.
    let person = person(db, crm, rules, modules.0, &chat).await?;
    if let Some(deal) = chat.conversation.deal_id {
        deal_ref(db, crm, deal).await?;
    }
    let session = session_facts(db, row, &mut chat.facts).await?;
    let (step, write) =
        plan_session(db, crm, rules, modules, &chat, &session, Some(&person)).await?;
    let record_id = match (step.action, step.record_id) {
        (PlanAction::Create, _) => {
            let id = crm.create_record(modules.1, &write).await?;
            remember(
                db,
                crm.provider(),
                session_ref(modules.1),
                session_id.0,
                &id,
            )
            .await?;
            id
        }
        (_, Some(id)) => id,
        (_, None) => return Ok(None),
    };
    // Also when the record was made by an earlier attempt that stopped before its files.
    if section(rules, modules.1)?.attaches() {
        for f in &session.files {
            match read_file(files.store, f, files.max_bytes).await? {
                Some(bytes) => {
                    crm.attach_to_record(
                        modules.1,
                        &record_id,
                        &NewAttachment {
                            file_name: &f.name,
                            content_type: &f.content_type,
                            sha256: &f.sha256,
                            bytes: &bytes,
                        },
                    )
                    .await?;
                }
                None => {
                    tracing::info!(file = %f.id, size = f.size, "file too large to attach to the CRM record")
                }
            }
        }
    }
    Ok(Some(record_id))
}

/// The client's module a task or case asked for from a chat links to: the contact or lead
/// already noted for them (a contact first), else a Contact for a case and a Lead for a task.
async fn person_module_for(
    db: &DatabaseConnection,
    provider: &str,
    module: CrmModule,
    client: UserId,
) -> Result<CrmModule, DbErr> {
    for noted in [CrmModule::Contacts, CrmModule::Leads] {
        if remote_id(db, provider, person_ref(noted), client.0)
            .await?
            .is_some()
        {
            return Ok(noted);
        }
    }
    Ok(match module {
        CrmModule::Cases => CrmModule::Contacts,
        _ => CrmModule::Leads,
    })
}

/// The `CrmManual` job: the record staff asked for from a chat, made by the rules' sections
/// (identification, update policy, mapping) whatever the mode; the request is marked done with
/// the record's id. A lead or contact already there is found, not made twice.
pub async fn record_requested(
    db: &DatabaseConnection,
    crm: &dyn CrmPort,
    files: Files<'_>,
    request_id: CrmRequestId,
) -> Result<(), CrmError> {
    let Some(request) = crm_request::Entity::find_by_id(request_id).one(db).await? else {
        return Ok(());
    };
    if request.done_at.is_some() {
        return Ok(());
    }
    let rules = rules_of(db, crm.provider()).await?;
    let record_id = if request.module.per_session() {
        let Some(row) = operator_session::Entity::find_by_id(OperatorSessionId(request.session_id))
            .one(db)
            .await?
        else {
            return Ok(());
        };
        let Some(client) = conversation::Entity::find_by_id(request.conversation_id)
            .one(db)
            .await?
            .and_then(|c| c.client_id)
        else {
            return Ok(());
        };
        let person_module = person_module_for(db, crm.provider(), request.module, client).await?;
        session_as(db, crm, &rules, files, row, (person_module, request.module)).await?
    } else {
        match chat(db, request.conversation_id).await? {
            Some(chat) => Some(person(db, crm, &rules, request.module, &chat).await?),
            None => None,
        }
    };
    crm_request::Entity::update_many()
        .set(crm_request::ActiveModel {
            record_id: Set(record_id),
            done_at: Set(Some(Utc::now())),
            ..Default::default()
        })
        .filter(crm_request::Column::Id.eq(request_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Staff ask for a CRM record from a chat (the connector's manual mode): a Lead or Contact for
/// the client, a Task or Case for the chat's latest operator session. Once per chat (or
/// session) and module: asking again, or a retried request, changes nothing. 404 for a chat the
/// caller may not read; 403 for its client and for staff who may only read it.
#[tracing::instrument(skip(db))]
pub async fn request_record(
    db: &DatabaseConnection,
    provider: &str,
    viewer: Viewer,
    conversation_id: ConversationId,
    module: CrmModule,
) -> Result<(), AppError> {
    // Reads, then writes: a write transaction from the start (SQLite cannot upgrade a reader
    // while another connection writes).
    let txn = crate::server::platform::db::begin_write(db).await?;
    let (conv, can) = access::load(&txn, viewer, conversation_id).await?;
    if !viewer.role.is_staff() || !can.reply {
        return Err(AppError::Forbidden);
    }
    if !CrmModule::MANUAL.contains(&module) {
        return Err(AppError::invalid(
            "module",
            "Only a lead, contact, case or task can be created from a chat.",
        ));
    }
    let rules: ConnectorRules = stored::read(&txn, provider, Setting::Rules).await?;
    if rules.mode != ConnectorMode::Manual {
        return Err(AppError::Conflict(
            "The connector's rules create CRM records by themselves; an administrator can switch them to manual on the CRM page."
                .into(),
        ));
    }
    if conv.client_id.is_none() {
        return Err(AppError::invalid(
            "conversation_id",
            "This chat has no client.",
        ));
    }
    let session_id = if module.per_session() {
        latest_session(&txn, conversation_id)
            .await?
            .map(|s| s.id.0)
            .ok_or_else(|| {
                AppError::Conflict(format!(
                    "A {} records an operator session, and this chat has none yet.",
                    module.singular().to_lowercase()
                ))
            })?
    } else {
        0
    };
    let inserted = crm_request::Entity::insert(crm_request::ActiveModel {
        conversation_id: Set(conversation_id),
        module: Set(module),
        session_id: Set(session_id),
        requested_by: Set(viewer.id),
        requested_at: Set(Utc::now()),
        record_id: Set(None),
        done_at: Set(None),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([
            crm_request::Column::ConversationId,
            crm_request::Column::Module,
            crm_request::Column::SessionId,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    if inserted > 0 {
        let request = crm_request::Entity::find()
            .filter(crm_request::Column::ConversationId.eq(conversation_id))
            .filter(crm_request::Column::Module.eq(module))
            .filter(crm_request::Column::SessionId.eq(session_id))
            .one(&txn)
            .await?
            .ok_or(AppError::Internal)?;
        jobs::enqueue(
            &txn,
            Job::CrmManual {
                request_id: request.id,
            },
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

async fn latest_session(
    db: &impl ConnectionTrait,
    conversation_id: ConversationId,
) -> Result<Option<operator_session::Model>, DbErr> {
    operator_session::Entity::find()
        .filter(operator_session::Column::ConversationId.eq(conversation_id))
        .order_by_desc(operator_session::Column::Id)
        .one(db)
        .await
}

/// The dry run: what the rules (as given, saved or not) would do for `conversation_id` now,
/// reading the CRM but writing nothing: the client's lead or contact, and a task or case for the
/// chat's latest session (as if it closed now, when it is open).
#[tracing::instrument(skip(db, crms, rules))]
pub async fn dry_run(
    db: &DatabaseConnection,
    crms: &Crms,
    rules: &ConnectorRules,
    conversation_id: ConversationId,
) -> Result<Vec<PlanStep>, AppError> {
    let crm = crms.current().await?;
    let crm = crm.as_ref();
    let Some(mut chat) = chat(db, conversation_id).await.map_err(unavailable)? else {
        return Err(AppError::NotFound);
    };
    let Some(modules) = rules.mode.modules() else {
        return Ok(Vec::new());
    };
    let plan = plan_person(db, crm, rules, modules.0, &chat)
        .await
        .map_err(|e| match e {
            CrmError::Unavailable(reason) if reason.starts_with("waiting for the client") => {
                AppError::Conflict(format!("The client's record would wait: {reason}."))
            }
            other => unavailable(other),
        })?;
    let person = plan.found.as_ref().map(|r| r.id.clone());
    let mut steps = vec![plan.step];
    if let Some(row) = latest_session(db, conversation_id).await? {
        let session = session_facts(db, row, &mut chat.facts)
            .await
            .map_err(unavailable)?;
        let (step, _) = plan_session(db, crm, rules, modules, &chat, &session, person.as_deref())
            .await
            .map_err(unavailable)?;
        steps.push(step);
    }
    Ok(steps)
}

/// The session's record (its task or case), for tests and the chat's side panel.
pub async fn session_record(
    db: &DatabaseConnection,
    crm: &dyn CrmPort,
    mode: ConnectorMode,
    session_id: OperatorSessionId,
) -> Result<Option<(CrmModule, CrmRecord)>, CrmError> {
    let Some((_, module)) = mode.modules() else {
        return Ok(None);
    };
    let Some(id) = remote_id(db, crm.provider(), session_ref(module), session_id.0).await? else {
        return Ok(None);
    };
    Ok(crm.get_record(module, &id).await?.map(|r| (module, r)))
}

/// Chats the dry run offers: the newest client chats.
const RECENT_CHATS: u64 = 50;

/// The newest client chats, for the dry run's picker.
pub async fn recent_chats(db: &DatabaseConnection) -> Result<Vec<ChatPick>, DbErr> {
    let rows = conversation::Entity::find()
        .filter(conversation::Column::ClientId.is_not_null())
        .order_by_desc(conversation::Column::Id)
        .limit(RECENT_CHATS)
        .all(db)
        .await?;
    let client_ids: Vec<UserId> = rows.iter().filter_map(|c| c.client_id).collect();
    let names: std::collections::HashMap<UserId, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(client_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect();
    Ok(rows
        .into_iter()
        .map(|c| ChatPick {
            id: c.id,
            label: format!(
                "#{} {} — {}",
                c.id.0,
                c.subject,
                c.client_id
                    .and_then(|u| names.get(&u).cloned())
                    .unwrap_or_default()
            ),
        })
        .collect())
}

/// Lines of the sync log shown beside a chat.
const CHAT_LOG_LINES: u64 = 50;

/// The CRM beside a chat, for staff who may read it: the client's lead or contact and its
/// account as the CRM holds them now (read afresh when the chat opens; `fresh` false for the
/// panel's own reloads, which may take what was read in the last `crm.panel_cache_secs`), with
/// the fields picked on the CRM page, and the sync log's lines about this chat and its deal.
/// NotFound for a chat the viewer may not read; Forbidden for the client.
#[tracing::instrument(skip(db, crms))]
pub async fn for_chat(
    db: &DatabaseConnection,
    crms: &Crms,
    viewer: Viewer,
    conversation_id: ConversationId,
    fresh: bool,
) -> Result<ChatCrmView, AppError> {
    let (conv, can) = access::load(db, viewer, conversation_id).await?;
    if !viewer.role.is_staff() {
        return Err(AppError::Forbidden);
    }
    let crm = crms.current().await?;
    let rules = rules_of(db, crm.provider()).await?;
    let panel: PanelFields = stored::read(db, crm.provider(), Setting::PanelFields).await?;
    let reader = PanelReader {
        crm: crm.as_ref(),
        cache: crms.records(),
        fresh,
        panel: &panel,
        rules: &rules,
    };
    let ((person, account), problem) = match conv.client_id {
        Some(client) => match reader.person(db, client).await {
            Ok(found) => (found, None),
            Err(CrmError::Database(e)) => return Err(e.into()),
            Err(e) => ((None, None), Some(e.to_string())),
        },
        None => ((None, None), None),
    };
    let about = About {
        deal_id: conv.deal_id,
        conversation_id: Some(conv.id),
    };
    let manual = match conv.client_id {
        Some(client) if rules.mode == ConnectorMode::Manual && can.reply => {
            Some(manual_view(db, crm.as_ref(), &conv, client).await?)
        }
        _ => None,
    };
    Ok(ChatCrmView {
        provider: crm.provider().to_owned(),
        person,
        account,
        problem,
        log: sync_log::list(db, Some(about), CHAT_LOG_LINES).await?,
        manual,
        can_retry: can.reply,
    })
}

/// *Retry* on a failed line beside a chat, by staff who act in it (the client 403, staff who only
/// read it 403, others 404): the delivery runs again now.
#[tracing::instrument(skip(db))]
pub async fn retry_for_chat(
    db: &DatabaseConnection,
    viewer: Viewer,
    conversation_id: ConversationId,
    line_id: i64,
) -> Result<(), AppError> {
    let (conv, can) = access::load(db, viewer, conversation_id).await?;
    if !viewer.role.is_staff() || !can.reply {
        return Err(AppError::Forbidden);
    }
    let about = About {
        deal_id: conv.deal_id,
        conversation_id: Some(conv.id),
    };
    sync_log::retry_about(db, line_id, about).await
}

/// The manual mode's part of the panel: what the CRM holds for the client and this chat's
/// sessions (by the ids we noted, without asking the CRM), what is being made, and what staff
/// may ask for now.
async fn manual_view(
    db: &DatabaseConnection,
    crm: &dyn CrmPort,
    conv: &conversation::Model,
    client: UserId,
) -> Result<ManualCrm, AppError> {
    let provider = crm.provider();
    let link = |module: CrmModule, id: String, about: String| async move {
        let url = crm.record_url(module, &id).await.unwrap_or_default();
        CrmRecordLink {
            module,
            id,
            about,
            url,
        }
    };
    let mut records = Vec::new();
    for module in [CrmModule::Leads, CrmModule::Contacts] {
        if let Some(id) = remote_id(db, provider, person_ref(module), client.0).await? {
            records.push(link(module, id, "the client".into()).await);
        }
    }
    let sessions = operator_session::Entity::find()
        .filter(operator_session::Column::ConversationId.eq(conv.id))
        .order_by_asc(operator_session::Column::Id)
        .all(db)
        .await?;
    // The sessions' tasks and cases noted, in one read: (module, session id) → CRM id.
    let per_session = [CrmModule::Cases, CrmModule::Tasks];
    let noted: std::collections::HashMap<(String, i64), String> = crm_ref::Entity::find()
        .filter(crm_ref::Column::Provider.eq(provider))
        .filter(crm_ref::Column::Entity.is_in(per_session.map(session_ref)))
        .filter(crm_ref::Column::EntityId.is_in(sessions.iter().map(|s| s.id.0)))
        .all(db)
        .await?
        .into_iter()
        .map(|r| ((r.entity, r.entity_id), r.remote_id))
        .collect();
    let noted_for =
        |module: CrmModule, session: i64| noted.get(&(session_ref(module).to_owned(), session));
    for s in &sessions {
        for module in per_session {
            if let Some(id) = noted_for(module, s.id.0) {
                let about = format!("session of {}", time_text(s.opened_at));
                records.push(link(module, id.clone(), about).await);
            }
        }
    }
    let latest = sessions.last().map(|s| s.id.0);
    let pending: Vec<CrmModule> = crm_request::Entity::find()
        .filter(crm_request::Column::ConversationId.eq(conv.id))
        .filter(crm_request::Column::DoneAt.is_null())
        .all(db)
        .await?
        .into_iter()
        .filter(|r| !r.module.per_session() || Some(r.session_id) == latest)
        .map(|r| r.module)
        .collect();
    let mut can_create = Vec::new();
    for module in CrmModule::MANUAL {
        let exists = if module.per_session() {
            match latest {
                Some(session) => noted_for(module, session).is_some(),
                None => true, // Nothing to record yet.
            }
        } else {
            records.iter().any(|r| r.module == module)
        };
        if !exists && !pending.contains(&module) {
            can_create.push(module);
        }
    }
    Ok(ManualCrm {
        can_create,
        pending,
        records,
    })
}

/// Reads the records shown beside a chat: from the CRM, or from the brief cache for the
/// panel's own reloads (`fresh` false).
struct PanelReader<'a> {
    crm: &'a dyn CrmPort,
    cache: &'a RecordCache,
    fresh: bool,
    panel: &'a PanelFields,
    rules: &'a ConnectorRules,
}

/// An account's fields shown when none are picked.
const ACCOUNT_FIELDS: [&str; 3] = ["Account_Name", "Phone", "Website"];

impl PanelReader<'_> {
    async fn get(&self, module: CrmModule, id: &str) -> Result<Option<CrmRecord>, CrmError> {
        let provider = self.crm.provider();
        if !self.fresh
            && let Some(record) = self.cache.get(provider, module, id)
        {
            return Ok(Some(record));
        }
        let found = self.crm.get_record(module, id).await?;
        if let Some(record) = &found {
            self.cache.put(provider, module, record);
        }
        Ok(found)
    }

    /// The fields of `module` shown: those picked on the CRM page, else those the rules write
    /// (an account's name, phone and website).
    fn shown(&self, module: CrmModule) -> Vec<&str> {
        let picked = self.panel.of(module);
        if !picked.is_empty() {
            return picked.iter().map(String::as_str).collect();
        }
        if module == CrmModule::Accounts {
            return ACCOUNT_FIELDS.to_vec();
        }
        let mut shown: Vec<&str> = Vec::new();
        if let Some(m) = self.rules.module(module) {
            for row in &m.fields {
                if !matches!(row.field.as_str(), OWNER | ATTACHMENTS)
                    && !shown.contains(&row.field.as_str())
                {
                    shown.push(&row.field);
                }
            }
        }
        shown
    }

    async fn view(&self, module: CrmModule, record: CrmRecord) -> Result<CrmRecordView, CrmError> {
        let fields = self
            .shown(module)
            .into_iter()
            .filter_map(|f| {
                let v = record.fields.get(f)?;
                (!v.trim().is_empty()).then(|| (f.replace('_', " "), v.clone()))
            })
            .collect();
        Ok(CrmRecordView {
            module,
            url: self.crm.record_url(module, &record.id).await?,
            id: record.id,
            owner: record.owner_email,
            fields,
        })
    }

    /// The client's lead or contact noted by the rules (the mode's module first), and the
    /// account of a contact.
    async fn person(
        &self,
        db: &DatabaseConnection,
        client: UserId,
    ) -> Result<(Option<CrmRecordView>, Option<CrmRecordView>), CrmError> {
        let order = match self.rules.mode {
            ConnectorMode::Sales => [CrmModule::Leads, CrmModule::Contacts],
            _ => [CrmModule::Contacts, CrmModule::Leads],
        };
        for module in order {
            let Some(id) = remote_id(db, self.crm.provider(), person_ref(module), client.0).await?
            else {
                continue;
            };
            let Some(record) = self.get(module, &id).await? else {
                continue;
            };
            let account = match &record.account_id {
                Some(account) => match self.get(CrmModule::Accounts, account).await? {
                    Some(a) => Some(self.view(CrmModule::Accounts, a).await?),
                    None => None,
                },
                None => None,
            };
            return Ok((Some(self.view(module, record).await?), account));
        }
        Ok((None, None))
    }
}
