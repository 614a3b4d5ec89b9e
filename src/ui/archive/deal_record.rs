//! `/deals/:id` (a lazy route): a deal's record for staff, as the built-in CRM keeps it: its
//! fields and stage history, its attachments (the transcript, shared and uploaded files, what the
//! CRM holds), its notes, and a Chats tab: its client chats, which open in the chat window, and
//! the team chats linked to it, which open right in the tab.

use crate::api::archive::deal_record;
use crate::model::AppError;
use crate::model::deal_record::DealRecord;
use crate::model::file_size::file_size;
use crate::model::ids::DealId;
use crate::ui::chat::live::LiveChats;
use crate::ui::internal_chats::record_chats::RecordChats;
use crate::ui::page_data::page_data;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

crate::lazy_page!(DealRecordRoute, DealRecordPage);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tab {
    Details,
    Attachments,
    Notes,
    Chats,
}

impl Tab {
    const ALL: [Tab; 4] = [Tab::Details, Tab::Attachments, Tab::Notes, Tab::Chats];

    fn label(self) -> &'static str {
        match self {
            Tab::Details => "Details",
            Tab::Attachments => "Attachments",
            Tab::Notes => "Notes",
            Tab::Chats => "Chats",
        }
    }

    fn id(self) -> &'static str {
        match self {
            Tab::Details => "record-details",
            Tab::Attachments => "record-attachments",
            Tab::Notes => "record-notes",
            Tab::Chats => "record-chats",
        }
    }
}

#[component]
pub fn DealRecordPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|raw| raw.parse::<DealId>().ok())
    };
    let record = page_data(id, |id| async move {
        match id {
            Some(id) => deal_record(id).await,
            None => Err(AppError::NotFound),
        }
    });
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading the deal…"</p> }>
            {move || Suspend::new(async move {
                match record.await {
                    Ok(record) => view! { <RecordView record /> }.into_any(),
                    Err(AppError::NotFound) => {
                        view! {
                            <section class="panel">
                                <h1>"Deal not found"</h1>
                                <p role="alert">"This deal does not exist or is not open to you."</p>
                            </section>
                        }
                            .into_any()
                    }
                    Err(e) => {
                        view! {
                            <section class="panel">
                                <h1>"Deal"</h1>
                                <p class="form-error" role="alert">{e.to_string()}</p>
                            </section>
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn RecordView(record: DealRecord) -> impl IntoView {
    let clock = use_context::<LiveChats>()
        .map(|l| l.clock.get_untracked())
        .unwrap_or_default();
    let tab = RwSignal::new(Tab::Details);
    let DealRecord {
        deal,
        history,
        files,
        crm_attachments,
        crm_notes,
        chats,
    } = record;
    let state = match deal.closed_line(&clock) {
        Some(line) => line,
        None => "Open".to_owned(),
    };
    let stamp = move |ms: i64| format!("{} {}", clock.date(ms), clock.time_of_day(ms));
    let fields: Vec<(&str, String)> = vec![
        (
            "Client",
            format!("{} <{}>", deal.client_name, deal.client_email),
        ),
        ("Stage", deal.stage.label().to_owned()),
        (
            "Amount",
            deal.amount
                .map_or_else(|| "—".to_owned(), |m| m.to_string()),
        ),
        (
            "Owner",
            deal.owner_name
                .clone()
                .unwrap_or_else(|| "Nobody yet".into()),
        ),
        ("Opened", stamp(deal.created_at_ms)),
        ("State", state),
    ];
    let details = view! {
        <dl class="record-fields">
            {fields
                .into_iter()
                .map(|(label, value)| view! { <dt>{label}</dt><dd>{value}</dd> })
                .collect_view()}
        </dl>
        <h2>"Stage history"</h2>
        {if history.is_empty() {
            view! { <p class="empty">"No changes yet."</p> }.into_any()
        } else {
            view! {
                <ol class="record-history" aria-label="Stage history">
                    {history
                        .into_iter()
                        .map(|h| view! { <li><time>{stamp(h.at_ms)}</time>" "{h.text}</li> })
                        .collect_view()}
                </ol>
            }
                .into_any()
        }}
    };
    let attachments = view! {
        <h2>"Files"</h2>
        {if files.is_empty() {
            view! { <p class="empty">"No files."</p> }.into_any()
        } else {
            view! {
                <ul class="record-files" aria-label="Files">
                    {files
                        .into_iter()
                        .map(|f| {
                            view! {
                                <li>
                                    <a href=f.file.download_url() download=f.file.name.clone()>{f.file.name.clone()}</a>
                                    <span class="meta">
                                        {format!(" · {} · {} · {}", file_size(f.file.size), f.uploader_name, stamp(f.created_at_ms))}
                                    </span>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            }
                .into_any()
        }}
        <h2>"Attached in the CRM"</h2>
        {match crm_attachments {
            None => view! { <p class="form-error">"The CRM could not be read just now."</p> }.into_any(),
            Some(list) if list.is_empty() => view! { <p class="empty">"Nothing attached yet."</p> }.into_any(),
            Some(list) => {
                view! {
                    <ul class="record-files" aria-label="Attached in the CRM">
                        {list
                            .into_iter()
                            .map(|a| {
                                view! {
                                    <li>
                                        {a.name}
                                        <span class="meta">{format!(" · {} · {}", file_size(a.size), stamp(a.created_at_ms))}</span>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
                    .into_any()
            }
        }}
    };
    let notes = match crm_notes {
        None => {
            view! { <p class="form-error">"The CRM could not be read just now."</p> }.into_any()
        }
        Some(list) if list.is_empty() => view! { <p class="empty">"No notes."</p> }.into_any(),
        Some(list) => view! {
            <ul class="record-notes" aria-label="Notes">
                {list.into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}
            </ul>
        }
        .into_any(),
    };
    let team_chats = view! {
        <RecordChats
            kind="deal"
            record_id=deal.id.to_string()
            record_title=deal.title.clone()
            contact_name=Some(deal.client_name.clone())
        />
    };
    let chats = view! {
        <h2>"Client chats"</h2>
        <ul class="record-chats" aria-label="Linked chats">
            {chats
                .into_iter()
                .map(|c| {
                    let when = c.last_message_at_ms.map(stamp).unwrap_or_default();
                    view! {
                        <li>
                            <a href=format!("/chats/{}", c.id)>{format!("Chat with {}", c.client_name)}</a>
                            <span class="meta">
                                {format!(" · {} · {} messages · {when}", c.status, c.messages)}
                            </span>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    };
    let panels = [
        (Tab::Details, details.into_any()),
        (Tab::Attachments, attachments.into_any()),
        (Tab::Notes, notes),
        (Tab::Chats, view! { {chats} {team_chats} }.into_any()),
    ];
    view! {
        <section class="panel deal-record" aria-labelledby="deal-record-title">
            <p class="crumbs"><a href="/deals">"Deals"</a></p>
            <h1 id="deal-record-title">{format!("{} · #{}", deal.title, deal.id)}</h1>
            <div class="tabs" role="tablist" aria-label="Deal record">
                {Tab::ALL
                    .map(|t| {
                        view! {
                            <button
                                type="button"
                                role="tab"
                                id=format!("{}-tab", t.id())
                                aria-controls=t.id()
                                aria-selected=move || (tab.get() == t).to_string()
                                on:click=move |_| tab.set(t)
                            >
                                {t.label()}
                            </button>
                        }
                    })
                    .collect_view()}
            </div>
            {panels
                .into_iter()
                .map(|(t, body)| {
                    view! {
                        <div
                            role="tabpanel"
                            id=t.id()
                            aria-labelledby=format!("{}-tab", t.id())
                            hidden=move || tab.get() != t
                        >
                            {body}
                        </div>
                    }
                })
                .collect_view()}
        </section>
    }
}
