//! `/team/new`: start a personal chat with someone (staff: anyone; a client: the staff they
//! share a deal chat with), or (staff) a group chat with a name, people and teams, linked to CRM
//! records picked below it.

use crate::api::internal_chats::{
    create_group_chat, find_people, list_teams_for_groups, start_direct_chat,
};
use crate::model::internal_chat::{InternalChatSummary, PersonView, TeamChoice};
use crate::model::record_link::RecordChoice;
use crate::model::{AppError, UserView};
use crate::ui::chat::live::LiveChats;
use crate::ui::forms::loaded::Loaded;
use crate::ui::internal_chats::record_links::RecordPicker;
use crate::ui::page_data::page_data;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;

crate::lazy_page!(NewInternalChatRoute, NewInternalChatPage);

/// Ids as the server takes them: `3,5,8`.
fn joined<T: ToString>(ids: impl IntoIterator<Item = T>) -> String {
    ids.into_iter()
        .map(|id| id.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

#[component]
pub fn NewInternalChatPage() -> impl IntoView {
    let staff = expect_context::<UserView>().role.is_staff();
    let live = LiveChats::get();
    let navigate = use_navigate();
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    // A chat started or made here opens at once, listed before the poll brings it.
    let answer = RwSignal::new(None::<Result<InternalChatSummary, AppError>>);
    Effect::new(move |_| {
        let Some(done) = answer.get() else {
            return;
        };
        busy.set(false);
        match done {
            Ok(summary) => {
                let path = format!("/team/{}", summary.id);
                live.internal.update(|l| l.upsert(summary));
                navigate(&path, Default::default());
            }
            Err(e) => error.set(Some(e.to_string())),
        }
    });

    let search = RwSignal::new(String::new());
    let people = RwSignal::new(Vec::<PersonView>::new());
    let find = move || {
        let text = search.get_untracked();
        spawn_local(async move {
            match find_people(Some(text)).await {
                Ok(found) => people.set(found),
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };
    Effect::new(move |_| find());

    let title = RwSignal::new(String::new());
    let picked = RwSignal::new(Vec::<PersonView>::new());
    let picked_teams = RwSignal::new(Vec::<TeamChoice>::new());
    let picked_links = RwSignal::new(Vec::<RecordChoice>::new());
    let add_link = Callback::new(move |choice: RecordChoice| {
        picked_links.update(|l| {
            if !l.iter().any(|c| c.record == choice.record) {
                l.push(choice);
            }
        });
    });
    let links_view = move || {
        picked_links
            .get()
            .into_iter()
            .map(|c| {
                let record = c.record.clone();
                view! {
                    <li class="record-link">
                        <span>{c.title.clone()}</span>
                        <button
                            type="button"
                            class="ghost"
                            aria-label=format!("Do not link “{}”", c.title)
                            on:click=move |_| picked_links.update(|l| l.retain(|x| x.record != record))
                        >
                            "Remove"
                        </button>
                    </li>
                }
            })
            .collect_view()
    };
    let teams = page_data(
        move || staff,
        |staff| async move {
            if staff {
                list_teams_for_groups().await
            } else {
                Ok(Vec::new())
            }
        },
    );
    let create = move |_| {
        busy.set(true);
        error.set(None);
        let users = joined(picked.get_untracked().iter().map(|p| p.id));
        let teams = joined(picked_teams.get_untracked().iter().map(|t| t.id));
        let name = title.get_untracked();
        let links = picked_links.with_untracked(|l| {
            l.iter()
                .map(|c| format!("{}:{}", c.record.kind, c.record.id))
                .collect::<Vec<_>>()
                .join(",")
        });
        spawn_local(async move {
            answer.set(Some(
                create_group_chat(name, Some(users), Some(teams), Some(links)).await,
            ));
        });
    };
    let team_boxes = move |all: Vec<TeamChoice>| {
        view! {
            <fieldset class="team-choice">
                <legend>"Teams (their members now)"</legend>
                {all
                    .into_iter()
                    .map(|t| {
                        let label = format!("{} ({} members)", t.name, t.members);
                        let id = t.id;
                        view! {
                            <label class="choice">
                                <input
                                    type="checkbox"
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        let t = t.clone();
                                        picked_teams.update(|p| {
                                            p.retain(|x| x.id != id);
                                            if on {
                                                p.push(t);
                                            }
                                        });
                                    }
                                />
                                {label}
                            </label>
                        }
                    })
                    .collect_view()}
            </fieldset>
        }
    };

    view! {
        <section class="panel" aria-labelledby="new-team-chat-title">
            <h1 id="new-team-chat-title">"New chat"</h1>
            {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            <form
                class="people-search"
                on:submit=move |ev| {
                    ev.prevent_default();
                    find();
                }
            >
                <label for="people-search">"Find people"</label>
                <input
                    id="people-search"
                    type="search"
                    placeholder="Name or email"
                    prop:value=move || search.get()
                    on:input=move |ev| search.set(event_target_value(&ev))
                />
                <button type="submit">"Find"</button>
            </form>
            <ul class="people" aria-label="People">
                <For
                    each=move || people.get()
                    key=|p| p.id
                    children=move |p: PersonView| {
                        let id = p.id;
                        let name = p.name.clone();
                        let who = if p.staff { "Staff" } else { "Client" };
                        let person = p.clone();
                        view! {
                            <li class="person">
                                <span class="person-name">{p.name}</span>
                                <span class="role-badge">{who}</span>
                                <button
                                    type="button"
                                    disabled=move || busy.get()
                                    aria-label=format!("Message {name}")
                                    on:click=move |_| {
                                        busy.set(true);
                                        error.set(None);
                                        spawn_local(async move {
                                            answer.set(Some(start_direct_chat(id).await));
                                        });
                                    }
                                >
                                    "Message"
                                </button>
                                {staff
                                    .then(|| {
                                        let name = person.name.clone();
                                        view! {
                                            <label class="choice">
                                                <input
                                                    type="checkbox"
                                                    aria-label=format!("Add {name} to the group")
                                                    prop:checked=move || picked.with(|v| v.iter().any(|x| x.id == id))
                                                    on:change=move |ev| {
                                                        let on = event_target_checked(&ev);
                                                        let person = person.clone();
                                                        picked.update(|v| {
                                                            v.retain(|x| x.id != id);
                                                            if on {
                                                                v.push(person);
                                                            }
                                                        });
                                                    }
                                                />
                                                "In the group"
                                            </label>
                                        }
                                    })}
                            </li>
                        }
                    }
                />
            </ul>
            {staff
                .then(|| {
                    view! {
                        <form
                            class="grid-form"
                            aria-label="New group chat"
                            on:submit=move |ev| {
                                ev.prevent_default();
                                create(());
                            }
                        >
                            <h2>"Group chat"</h2>
                            <label for="group-title">"Name"</label>
                            <input
                                id="group-title"
                                prop:value=move || title.get()
                                on:input=move |ev| title.set(event_target_value(&ev))
                            />
                            <p class="hint">
                                {move || {
                                    let names: Vec<String> = picked.with(|v| v.iter().map(|p| p.name.clone()).collect());
                                    if names.is_empty() {
                                        "Pick people above, or teams below.".to_owned()
                                    } else {
                                        format!("With {}", names.join(", "))
                                    }
                                }}
                            </p>
                            <Loaded resource=teams loading="Loading teams…" show=team_boxes />
                            <h3>"Linked records"</h3>
                            <ul class="record-links" aria-label="Records to link">{links_view}</ul>
                            <button type="submit" class="primary" disabled=move || busy.get()>
                                "Create group"
                            </button>
                        </form>
                        <RecordPicker pick=add_link action="Add" />
                    }
                })}
        </section>
    }
    .into_any()
}
