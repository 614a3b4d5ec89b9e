//! For staff beside a chat: the client's lead or contact in the CRM (the fields the rules write,
//! read when the chat opens, with a link to the record in Zoho) and the sync log's lines about
//! this chat and its deal.

use crate::api::crm::ChatCrm;
use crate::model::crm_rules::ChatCrmView;
use crate::model::ids::ConversationId;
use leptos::prelude::*;

#[component]
pub fn ChatCrmPanel(conversation_id: ConversationId) -> impl IntoView {
    let load = ServerAction::<ChatCrm>::new();
    // Asked once the panel is live in the browser, so each opening reads the CRM afresh.
    Effect::new(move |_| {
        load.dispatch(ChatCrm { conversation_id });
    });
    let body = move || match load.value().get() {
        None => view! { <p class="hint">"Reading the CRM…"</p> }.into_any(),
        Some(Err(e)) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
        Some(Ok(view)) => view! { <CrmBody view /> }.into_any(),
    };
    view! {
        <section class="chat-crm" aria-label="CRM">
            <h3>"CRM"</h3>
            {body}
        </section>
    }
}

#[component]
fn CrmBody(view: ChatCrmView) -> impl IntoView {
    let crm = if view.provider == "zoho" {
        "Zoho CRM"
    } else {
        "the built-in CRM"
    };
    let person = match view.person {
        Some(p) => {
            let title = format!("{} {}", p.module.singular(), p.id);
            let link = p.url.map(|url| {
                view! { <a href=url target="_blank" rel="noopener noreferrer">{format!("Open in {crm}")}</a> }
            });
            view! {
                <p><strong>{title}</strong> " " {link}</p>
                <dl class="record-fields">
                    {p.owner.map(|o| view! { <dt>"Owner"</dt><dd>{o}</dd> })}
                    {p.fields
                        .into_iter()
                        .map(|(label, value)| view! { <dt>{label}</dt><dd>{value}</dd> })
                        .collect_view()}
                </dl>
            }
            .into_any()
        }
        None => view! { <p class="hint">{format!("No lead or contact in {crm} for this client yet.")}</p> }.into_any(),
    };
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
                        view! {
                            <li class=format!("sync-{}", l.outcome.as_str())>
                                {l.action} {record} " · " {l.outcome.as_str()} {detail}
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        }
        .into_any()
    };
    view! {
        {person}
        {problem}
        <h4>"Sync log"</h4>
        {log}
    }
}
