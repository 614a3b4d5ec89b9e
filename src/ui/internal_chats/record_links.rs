//! CRM records beside a group chat: the records it is linked to (each opening its page where it
//! has one), and for its admins the dependent pickers that link more: a kind of record, then
//! (for deals and contacts) an account that narrows the choices, then the record by name.

use crate::api::internal_chats::{link_record, record_choices, record_kinds, unlink_record};
use crate::model::AppError;
use crate::model::ids::ConversationId;
use crate::model::record_link::{RecordChoice, RecordKindView, RecordLinkView};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// The chat's links, and for its admins the picker and a Remove per link.
#[component]
pub fn LinksPanel(
    conversation_id: ConversationId,
    links: RwSignal<Vec<RecordLinkView>>,
    can_link: bool,
) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let changed = move |answer: Result<Vec<RecordLinkView>, AppError>| match answer {
        Ok(now) => {
            error.set(None);
            links.set(now);
        }
        Err(e) => error.set(Some(e.to_string())),
    };
    let list = move || {
        links
            .get()
            .into_iter()
            .map(|l| {
                let name = format!("{} “{}”", l.kind_label, l.title);
                let shown = match l.href.clone() {
                    Some(href) => view! { <a href=href>{name.clone()}</a> }.into_any(),
                    None => view! { <span>{name.clone()}</span> }.into_any(),
                };
                let record = l.record;
                let remove = can_link.then(|| {
                    view! {
                        <button
                            type="button"
                            class="ghost"
                            aria-label=format!("Unlink {name}")
                            on:click=move |_| {
                                let (kind, id) = (record.kind.clone(), record.id.clone());
                                spawn_local(async move {
                                    changed(unlink_record(conversation_id, kind, id).await);
                                });
                            }
                        >
                            "Unlink"
                        </button>
                    }
                });
                view! { <li class="record-link">{shown}{remove}</li> }
            })
            .collect_view()
    };
    let pick = Callback::new(move |choice: RecordChoice| {
        spawn_local(async move {
            let RecordChoice { record, .. } = choice;
            changed(link_record(conversation_id, record.kind, record.id).await);
        });
    });
    view! {
        <section class="panel links-panel" aria-labelledby="links-title">
            <h2 id="links-title">"Linked records"</h2>
            {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            <ul class="record-links" aria-label="Linked records">{list}</ul>
            {move || links.with(Vec::is_empty).then(|| view! { <p class="empty">"Not linked to any record."</p> })}
            {can_link.then(|| view! { <RecordPicker pick action="Link" /> })}
        </section>
    }
}

/// The dependent pickers: the kind, its parent record (an account) when the kind has one, and
/// the records offered under it by name; `pick` gets the record chosen.
#[component]
pub fn RecordPicker(pick: Callback<RecordChoice>, action: &'static str) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let kinds = RwSignal::new(Vec::<RecordKindView>::new());
    let kind = RwSignal::new(None::<RecordKindView>);
    let parents = RwSignal::new(Vec::<RecordChoice>::new());
    let parent = RwSignal::new(None::<String>);
    let search = RwSignal::new(String::new());
    let found = RwSignal::new(Vec::<RecordChoice>::new());
    // The kinds once, in the browser.
    Effect::new(move |_| {
        spawn_local(async move {
            match record_kinds().await {
                Ok(all) => {
                    kind.set(all.first().cloned());
                    kinds.set(all);
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    });
    // A kind with a parent kind offers its parents to narrow by.
    Effect::new(move |_| {
        let Some(parent_kind) = kind.with(|k| k.as_ref().and_then(|k| k.parent.clone())) else {
            parents.set(Vec::new());
            parent.set(None);
            return;
        };
        parent.set(None);
        spawn_local(async move {
            match record_choices(parent_kind, None, None, None).await {
                Ok(list) => parents.set(list),
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    });
    let find = move || {
        let Some(k) = kind.get_untracked() else {
            return;
        };
        let parent_id = parent.get_untracked();
        let parent_kind = parent_id.as_ref().and(k.parent.clone());
        let text = search.get_untracked();
        spawn_local(async move {
            match record_choices(k.name, parent_kind, parent_id, Some(text)).await {
                Ok(list) => {
                    error.set(None);
                    found.set(list);
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };
    // The choices follow the kind and the parent picked.
    Effect::new(move |_| {
        kind.track();
        parent.track();
        find();
    });
    let kind_label = move || kind.with(|k| k.as_ref().map(|k| k.label.clone()).unwrap_or_default());
    let parent_label = move || {
        let parent_kind = kind.with(|k| k.as_ref().and_then(|k| k.parent.clone()));
        kinds.with(|all| {
            parent_kind.and_then(|p| all.iter().find(|k| k.name == p).map(|k| k.label.clone()))
        })
    };
    view! {
        <form
            class="record-picker"
            aria-label="Find a record"
            on:submit=move |ev| {
                ev.prevent_default();
                find();
            }
        >
            {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            <label>
                "Kind"
                <select
                    aria-label="Kind of record"
                    on:change=move |ev| {
                        let name = event_target_value(&ev);
                        kind.set(kinds.with(|all| all.iter().find(|k| k.name == name).cloned()));
                    }
                >
                    {move || {
                        let current = kind.with(|k| k.as_ref().map(|k| k.name.clone()));
                        kinds
                            .get()
                            .into_iter()
                            .map(|k| {
                                let selected = current.as_deref() == Some(k.name.as_str());
                                view! { <option value=k.name selected=selected>{k.label}</option> }
                            })
                            .collect_view()
                    }}
                </select>
            </label>
            {move || {
                parent_label()
                    .map(|label| {
                        let any = format!("Any {}", label.to_lowercase());
                        let text = label.clone();
                        view! {
                            <label>
                                {text}
                                <select
                                    aria-label=label
                                    on:change=move |ev| {
                                        let id = event_target_value(&ev);
                                        parent.set((!id.is_empty()).then_some(id));
                                    }
                                >
                                    <option value="">{any}</option>
                                    {parents
                                        .get()
                                        .into_iter()
                                        .map(|p| view! { <option value=p.record.id>{p.title}</option> })
                                        .collect_view()}
                                </select>
                            </label>
                        }
                    })
            }}
            <label>
                "Name"
                <input
                    type="search"
                    aria-label=move || format!("Find a {}", kind_label().to_lowercase())
                    prop:value=move || search.get()
                    on:input=move |ev| search.set(event_target_value(&ev))
                />
            </label>
            <button type="submit">"Search"</button>
            <ul class="record-choices" aria-label="Records found">
                {move || {
                    found
                        .get()
                        .into_iter()
                        .map(|c| {
                            let label = format!("{action} {} “{}”", kind_label().to_lowercase(), c.title);
                            let detail = c.detail.clone();
                            let title = c.title.clone();
                            view! {
                                <li class="record-choice">
                                    <span>{title}</span>
                                    {detail.map(|d| view! { <span class="meta">{format!(" · {d}")}</span> })}
                                    <button
                                        type="button"
                                        aria-label=label
                                        on:click=move |_| pick.run(c.clone())
                                    >
                                        {action}
                                    </button>
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ul>
        </form>
    }
}
