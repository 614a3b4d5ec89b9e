//! Admins: channels (name, active, queue, language, whether clients read replies in the
//! channel's name, whether ending a chat needs a note, the default) and who may use and
//! operate each, on one page.

use crate::api::channels::{SaveChannel, load_channels_admin};
use crate::model::Role;
use crate::model::channels::{ChannelView, ChannelsAdmin, Grant, Grants, SUGGESTED_LANGUAGES};
use crate::model::queues::{QueueView, TeamView};
use crate::ui::forms::form_errors::{FieldError, FormError, last_error};
use crate::ui::forms::loaded::Loaded;
use crate::ui::page_data::page_data;
use crate::ui::shell::admins_only::refusal;
use leptos::prelude::*;

crate::lazy_page!(AdminChannelsRoute, AdminChannelsPage);

#[component]
pub fn AdminChannelsPage() -> impl IntoView {
    if let Some(refused) = refusal("Channels", "Only administrators can manage channels.") {
        return refused;
    }
    let save = ServerAction::<SaveChannel>::new();
    let data = page_data(move || save.version().get(), |_| load_channels_admin());
    let show = move |admin: ChannelsAdmin| view! { <ChannelsBody admin save /> };
    view! {
        <section class="panel" aria-labelledby="channels-title">
            <h1 id="channels-title">"Channels"</h1>
            <p class="hint">
                "Clients start chats in a channel; its chats wait in the channel's queue. "
                "When more than one channel is open to a client, they choose; otherwise the default is used. "
                "Administrators may use and operate every channel."
            </p>
            <Loaded resource=data loading="Loading channels…" show />
        </section>
    }
    .into_any()
}

#[component]
fn ChannelsBody(admin: ChannelsAdmin, save: ServerAction<SaveChannel>) -> impl IntoView {
    let ChannelsAdmin {
        channels,
        queues,
        teams,
    } = admin;
    let error = last_error(save.value());
    view! {
        <FormError error />
        <FieldError error field="name" id="channel-name-error" />
        <FieldError error field="queue" id="channel-queue-error" />
        <FieldError error field="language" id="channel-language-error" />
        <FieldError error field="active" id="channel-active-error" />
        <FieldError error field="use_roles" id="channel-use-error" />
        <FieldError error field="operate_roles" id="channel-operate-error" />
        <datalist id="languages">
            {SUGGESTED_LANGUAGES
                .into_iter()
                .map(|(tag, name)| view! { <option value=tag>{name}</option> })
                .collect_view()}
        </datalist>
        {channels
            .into_iter()
            .map(|c| view! { <ChannelCard channel=Some(c) queues=queues.clone() teams=teams.clone() save /> })
            .collect_view()}
        <ChannelCard channel=None queues teams save />
    }
}

/// One channel as an editable card, or (None) the card that creates one.
#[component]
fn ChannelCard(
    channel: Option<ChannelView>,
    queues: Vec<QueueView>,
    teams: Vec<TeamView>,
    save: ServerAction<SaveChannel>,
) -> impl IntoView {
    let creating = channel.is_none();
    let default_queue = queues.iter().find(|q| q.is_default).map(|q| q.id);
    let c = channel.unwrap_or_else(|| ChannelView {
        id: crate::model::ids::ChannelId(0),
        name: String::new(),
        active: true,
        queue: default_queue.unwrap_or(crate::model::ids::QueueId(0)),
        queue_name: String::new(),
        language: "en".into(),
        on_behalf: false,
        wrap_up_required: false,
        is_default: false,
        use_grants: Grants {
            roles: vec![Role::Client],
            teams: vec![],
        },
        operate_grants: Grants {
            roles: vec![Role::Manager],
            teams: vec![],
        },
    });
    let label = if creating {
        "New channel".to_owned()
    } else {
        c.name.clone()
    };
    let key = if creating {
        "new".to_owned()
    } else {
        c.id.to_string()
    };
    let id_of = move |field: &str| format!("channel-{key}-{field}");
    view! {
        <section class="channel-card team-card" aria-label=format!("Channel {label}")>
            <h2>{label.clone()}</h2>
            <ActionForm action=save attr:class="grid-form" attr:aria-label=format!("Save channel {label}")>
                {(!creating).then(|| view! { <input type="hidden" name="channel_id" value=c.id.to_string() /> })}
                <label for=id_of("name")>"Name"</label>
                <input id=id_of("name") name="name" value=c.name.clone() required=true />
                <label class="choice">
                    <input type="checkbox" name="active" value="true" checked=c.active />
                    "Active (offered for new chats)"
                </label>
                <label for=id_of("queue")>"Queue"</label>
                <select id=id_of("queue") name="queue_id">
                    {queues
                        .iter()
                        .map(|q| view! { <option value=q.id.to_string() selected=q.id == c.queue>{q.name.clone()}</option> })
                        .collect_view()}
                </select>
                <label for=id_of("language")>"Language"</label>
                <input id=id_of("language") name="language" list="languages" value=c.language.clone() />
                <label class="choice">
                    <input type="checkbox" name="on_behalf" value="true" checked=c.on_behalf />
                    "Clients see replies in the channel's name"
                </label>
                <label class="choice">
                    <input type="checkbox" name="wrap_up_required" value="true" checked=c.wrap_up_required />
                    "Ending a chat needs a wrap-up note"
                </label>
                <label class="choice">
                    <input type="checkbox" name="make_default" value="true" checked=c.is_default disabled=c.is_default />
                    "Default channel"
                </label>
                <GrantPicker
                    legend="May use (start chats)"
                    name="use_grants"
                    role=Role::Client
                    role_label="Clients"
                    grants=c.use_grants.clone()
                    teams=Vec::new()
                />
                <GrantPicker
                    legend="May operate (see, accept, reply)"
                    name="operate_grants"
                    role=Role::Manager
                    role_label="All deal managers"
                    grants=c.operate_grants.clone()
                    teams
                />
                <button type="submit" class=if creating { "primary" } else { "ghost" }>
                    {if creating { "Create channel" } else { "Save" }}
                </button>
            </ActionForm>
        </section>
    }
}

/// Checkboxes for one right: the role, then each team. They fill one hidden field the form
/// sends (`role:client,team:3`).
#[component]
fn GrantPicker(
    legend: &'static str,
    name: &'static str,
    role: Role,
    role_label: &'static str,
    grants: Grants,
    teams: Vec<TeamView>,
) -> impl IntoView {
    let initial = grants.encode();
    let chosen = RwSignal::new(grants);
    let toggle = move |grant: Grant, on: bool| {
        chosen.update(|g| {
            match grant {
                Grant::Role(r) => g.roles.retain(|x| *x != r),
                Grant::Team(t) => g.teams.retain(|x| *x != t),
            }
            if on {
                match grant {
                    Grant::Role(r) => g.roles.push(r),
                    Grant::Team(t) => g.teams.push(t),
                }
            }
        })
    };
    let choices = std::iter::once((Grant::Role(role), role_label.to_owned()))
        .chain(
            teams
                .into_iter()
                .map(|t| (Grant::Team(t.id), format!("Team {}", t.name))),
        )
        .map(|(grant, text)| {
            let checked = chosen.with_untracked(|g| g.holds(grant));
            view! {
                <label class="choice">
                    <input
                        type="checkbox"
                        checked=checked
                        on:change=move |ev| toggle(grant, event_target_checked(&ev))
                    />
                    {text}
                </label>
            }
        })
        .collect_view();
    view! {
        <fieldset class="grants">
            <legend>{legend}</legend>
            {choices}
            <input type="hidden" name=name value=initial prop:value=move || chosen.get().encode() />
        </fieldset>
    }
}
