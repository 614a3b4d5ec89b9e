//! For staff beside a chat: the client's lead or contact in the CRM (the fields the rules write,
//! read when the chat opens, with a link to the record in Zoho) and the sync log's lines about
//! this chat and its deal. With the connector's manual mode, staff who act in the chat also get
//! *Create lead / contact / case / task* and what the CRM already holds for the client.

use crate::api::crm::{ChatCrm, CreateChatRecord, RetryChatCrm};
use crate::model::crm_rules::{ChatCrmView, CrmModule, CrmRecordView, ManualCrm};
use crate::model::ids::ConversationId;
use leptos::prelude::*;

/// While a record asked for is being made, the panel reads again this often.
const PENDING_RELOAD_MS: u64 = 2_000;

#[component]
pub fn ChatCrmPanel(conversation_id: ConversationId) -> impl IntoView {
    let load = ServerAction::<ChatCrm>::new();
    let create = ServerAction::<CreateChatRecord>::new();
    let retry = ServerAction::<RetryChatCrm>::new();
    // `fresh`: read the CRM afresh (the chat opening), or let the server's brief cache answer
    // (the panel's own reloads).
    let read = move |fresh: bool| {
        load.dispatch(ChatCrm {
            conversation_id,
            fresh: Some(fresh),
        });
    };
    // Asked once the panel is live in the browser, so each opening reads the CRM afresh.
    Effect::new(move |_| read(true));
    // After a request, and while one is being made, read again.
    Effect::new(move |_| {
        if create.version().get() + retry.version().get() > 0 {
            read(false);
        }
    });
    Effect::new(move |_| {
        let pending = load.value().with(|v| {
            matches!(v, Some(Ok(view)) if view.manual.as_ref().is_some_and(|m| !m.pending.is_empty()))
        });
        if pending {
            set_timeout(
                move || read(false),
                std::time::Duration::from_millis(PENDING_RELOAD_MS),
            );
        }
    });
    let body = move || match load.value().get() {
        None => view! { <p class="hint">"Reading the CRM…"</p> }.into_any(),
        Some(Err(e)) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
        Some(Ok(view)) => {
            let manual = view
                .manual
                .clone()
                .map(|m| view! { <ManualRecords manual=m create conversation_id /> });
            view! { {manual} <CrmBody view retry conversation_id /> }.into_any()
        }
    };
    view! {
        <section class="chat-crm" aria-label="CRM">
            <h3>"CRM"</h3>
            {body}
        </section>
    }
}

#[component]
fn CrmBody(
    view: ChatCrmView,
    retry: ServerAction<RetryChatCrm>,
    conversation_id: ConversationId,
) -> impl IntoView {
    let may_retry = view.can_retry;
    let crm = if view.provider == "zoho" {
        "Zoho CRM"
    } else {
        "the built-in CRM"
    };
    let person = match view.person {
        Some(p) => view! { <RecordFields record=p crm /> }.into_any(),
        None => view! { <p class="hint">{format!("No lead or contact in {crm} for this client yet.")}</p> }.into_any(),
    };
    let account = view
        .account
        .map(|a| view! { <RecordFields record=a crm /> });
    let problem = view
        .problem
        .map(|p| view! { <p class="form-error" role="alert">{format!("The CRM could not be read: {p}")}</p> });
    let log = if view.log.is_empty() {
        view! { <p class="hint">"Nothing was sent to the CRM for this chat yet."</p> }.into_any()
    } else {
        view! {
            <ul class="chat-crm-log" aria-label="CRM sync">
                {view
                    .log
                    .into_iter()
                    .map(|l| {
                        let record = match (&l.module, &l.remote_id) {
                            (Some(m), Some(id)) => format!(" · {m} {id}"),
                            _ => String::new(),
                        };
                        let detail = l.detail.map(|d| view! { <br /><span class="hint">{d}</span> });
                        let entry_id = l.id;
                        let again = (may_retry && l.can_retry).then(|| {
                            view! {
                                " "
                                <button
                                    type="button"
                                    disabled=move || retry.pending().get()
                                    on:click=move |_| {
                                        retry.dispatch(RetryChatCrm { conversation_id, entry_id });
                                    }
                                >
                                    "Retry"
                                </button>
                            }
                        });
                        view! {
                            <li class=format!("sync-{}", l.outcome.as_str())>
                                {l.action} {record} " · " {l.outcome.as_str()} {again} {detail}
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        }
        .into_any()
    };
    let retry_error = move || {
        retry
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| view! { <p class="form-error" role="alert">{e.to_string()}</p> })
    };
    view! {
        {person}
        {account}
        {problem}
        <h4>"Sync log"</h4>
        {retry_error}
        {log}
    }
}

/// The manual mode's buttons, what is being made, and the records the CRM holds for the client
/// and this chat.
#[component]
fn ManualRecords(
    manual: ManualCrm,
    create: ServerAction<CreateChatRecord>,
    conversation_id: ConversationId,
) -> impl IntoView {
    let label = |m: CrmModule| format!("Create {}", m.singular().to_lowercase());
    let buttons = manual
        .can_create
        .iter()
        .map(|&module| {
            view! {
                <button
                    type="button"
                    disabled=move || create.pending().get()
                    on:click=move |_| {
                        create.dispatch(CreateChatRecord {
                            conversation_id,
                            module: module.as_str().to_owned(),
                        });
                    }
                >
                    {label(module)}
                </button>
            }
        })
        .collect_view();
    let pending = manual
        .pending
        .iter()
        .map(|m| view! { <li>{format!("{} being created…", m.singular())}</li> })
        .collect_view();
    let error = move || {
        create
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| view! { <p class="form-error" role="alert">{e.to_string()}</p> })
    };
    let records = if manual.records.is_empty() {
        view! { <p class="hint">"The CRM holds nothing for this client yet."</p> }.into_any()
    } else {
        view! {
            <ul class="crm-records" aria-label="In the CRM">
                {manual
                    .records
                    .into_iter()
                    .map(|r| {
                        let text = format!("{} {} · {}", r.module.singular(), r.id, r.about);
                        match r.url {
                            Some(url) => view! {
                                <li><a href=url target="_blank" rel="noopener noreferrer">{text}</a></li>
                            }
                            .into_any(),
                            None => view! { <li>{text}</li> }.into_any(),
                        }
                    })
                    .collect_view()}
            </ul>
        }
        .into_any()
    };
    view! {
        <div class="crm-manual" role="group" aria-label="Create in the CRM">
            <div class="actions">{buttons}</div>
            <ul class="hint">{pending}</ul>
            {error}
            {records}
        </div>
    }
}

/// A record as the CRM holds it: its title and link, owner and the fields shown.
#[component]
fn RecordFields(record: CrmRecordView, crm: &'static str) -> impl IntoView {
    let title = format!("{} {}", record.module.singular(), record.id);
    let link = record.url.map(|url| {
        view! { <a href=url target="_blank" rel="noopener noreferrer">{format!("Open in {crm}")}</a> }
    });
    view! {
        <p><strong>{title}</strong> " " {link}</p>
        <dl class="record-fields">
            {record.owner.map(|o| view! { <dt>"Owner"</dt><dd>{o}</dd> })}
            {record
                .fields
                .into_iter()
                .map(|(label, value)| view! { <dt>{label}</dt><dd>{value}</dd> })
                .collect_view()}
        </dl>
    }
}
