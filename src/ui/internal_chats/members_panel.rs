//! The members of a group chat beside it: each with their role; for the chat's admins, a role to
//! pick per member, removal, adding people, renaming and closing the chat.

use crate::api::internal_chats::{
    add_group_members, close_group_chat, find_people, remove_group_member, rename_group_chat,
    set_group_member_role,
};
use crate::model::AppError;
use crate::model::ids::{ConversationId, UserId};
use crate::model::internal_chat::{MemberRole, MemberView, PersonView};
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn MembersPanel(
    conversation_id: ConversationId,
    members: RwSignal<Vec<MemberView>>,
    can_manage: bool,
    me: UserId,
) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    // Every change answers with the members as they are now.
    let changed = move |answer: Result<Vec<MemberView>, AppError>| match answer {
        Ok(now) => {
            error.set(None);
            members.set(now);
        }
        Err(e) => error.set(Some(e.to_string())),
    };
    let list = move || {
        members
            .get()
            .into_iter()
            .map(|m| {
                let user_id = m.user_id;
                let who = if m.staff { "" } else { " (client)" };
                let you = if user_id == me { " (you)" } else { "" };
                let name = m.name.clone();
                let manage = can_manage.then(|| {
                    let role_label = format!("Role of {name}");
                    let remove_label = format!("Remove {name}");
                    view! {
                        <select
                            aria-label=role_label
                            on:change=move |ev| {
                                let role = event_target_value(&ev);
                                spawn_local(async move {
                                    changed(set_group_member_role(conversation_id, user_id, role).await);
                                });
                            }
                        >
                            {MemberRole::ALL
                                .into_iter()
                                .map(|r| {
                                    view! {
                                        <option value=r.as_str() selected={r == m.role}>
                                            {r.label()}
                                        </option>
                                    }
                                })
                                .collect_view()}
                        </select>
                        <button
                            type="button"
                            class="ghost"
                            aria-label=remove_label
                            on:click=move |_| {
                                spawn_local(async move {
                                    changed(remove_group_member(conversation_id, user_id).await);
                                });
                            }
                        >
                            "Remove"
                        </button>
                    }
                });
                view! {
                    <li class="member">
                        <span class="member-name">{format!("{}{who}{you}", m.name)}</span>
                        {(!can_manage).then(|| view! { <span class="role-badge">{m.role.label()}</span> })}
                        {manage}
                    </li>
                }
            })
            .collect_view()
    };
    view! {
        <section class="panel members-panel" aria-labelledby="members-title">
            <h2 id="members-title">{move || format!("Members ({})", members.with(Vec::len))}</h2>
            {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            <ul class="members" aria-label="Members">{list}</ul>
            {can_manage.then(|| view! { <ManageGroup conversation_id changed error /> })}
        </section>
    }
}

/// The admin's tools: add people, rename, close (after a confirmation).
#[component]
fn ManageGroup(
    conversation_id: ConversationId,
    changed: impl Fn(Result<Vec<MemberView>, AppError>) + Copy + Send + Sync + 'static,
    error: RwSignal<Option<String>>,
) -> impl IntoView {
    let search = RwSignal::new(String::new());
    let found = RwSignal::new(Vec::<PersonView>::new());
    let find = move || {
        let text = search.get_untracked();
        spawn_local(async move {
            match find_people(Some(text)).await {
                Ok(people) => found.set(people),
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };
    let title = RwSignal::new(String::new());
    let confirming = RwSignal::new(false);
    let told = move |answer: Result<(), AppError>| match answer {
        Ok(()) => error.set(None),
        Err(e) => error.set(Some(e.to_string())),
    };
    view! {
        <form
            class="people-search"
            aria-label="Add people"
            on:submit=move |ev| {
                ev.prevent_default();
                find();
            }
        >
            <label for="member-search">"Add people"</label>
            <input
                id="member-search"
                type="search"
                placeholder="Name or email"
                prop:value=move || search.get()
                on:input=move |ev| search.set(event_target_value(&ev))
            />
            <button type="submit">"Find"</button>
        </form>
        <ul class="people" aria-label="People to add">
            <For
                each=move || found.get()
                key=|p| p.id
                children=move |p: PersonView| {
                    let id = p.id;
                    view! {
                        <li class="person">
                            <span class="person-name">{p.name.clone()}</span>
                            <button
                                type="button"
                                aria-label=format!("Add {}", p.name)
                                on:click=move |_| {
                                    spawn_local(async move {
                                        changed(add_group_members(conversation_id, Some(id.to_string()), None).await);
                                    });
                                }
                            >
                                "Add"
                            </button>
                        </li>
                    }
                }
            />
        </ul>
        <form
            class="rename"
            aria-label="Rename the chat"
            on:submit=move |ev| {
                ev.prevent_default();
                let name = title.get_untracked();
                spawn_local(async move {
                    told(rename_group_chat(conversation_id, name).await.map(|_| ()));
                });
            }
        >
            <label for="group-rename">"New name"</label>
            <input
                id="group-rename"
                prop:value=move || title.get()
                on:input=move |ev| title.set(event_target_value(&ev))
            />
            <button type="submit">"Rename"</button>
        </form>
        <Show
            when=move || confirming.get()
            fallback=move || {
                view! {
                    <button type="button" class="ghost" on:click=move |_| confirming.set(true)>
                        "Close the chat"
                    </button>
                }
            }
        >
            <p>"Close it? Members keep reading it; nobody can write in it again."</p>
            <button
                type="button"
                class="danger"
                on:click=move |_| {
                    confirming.set(false);
                    spawn_local(async move {
                        told(close_group_chat(conversation_id).await.map(|_| ()));
                    });
                }
            >
                "Close it"
            </button>
            <button type="button" class="ghost" on:click=move |_| confirming.set(false)>
                "Keep it open"
            </button>
        </Show>
    }
}
