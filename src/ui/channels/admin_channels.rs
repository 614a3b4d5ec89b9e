//! Admins: channels (name, active, queue, language, whether clients read replies in the
//! channel's name, whether ending a chat needs a note, the default) and who may use and
//! operate each, on one page.

use crate::api::channels::{SaveChannel, load_channels_admin};
use crate::model::Role;
use crate::model::channels::{ChannelView, ChannelsAdmin, Grant, Grants, SUGGESTED_LANGUAGES};
use crate::model::ids::ChannelId;
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
    // A picture is sent outside the server functions; its answer reloads the page's data too.
    let pictures = RwSignal::new(0u32);
    let data = page_data(
        move || (save.version().get(), pictures.get()),
        |_| load_channels_admin(),
    );
    let show = move |admin: ChannelsAdmin| view! { <ChannelsBody admin save pictures /> };
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
fn ChannelsBody(
    admin: ChannelsAdmin,
    save: ServerAction<SaveChannel>,
    pictures: RwSignal<u32>,
) -> impl IntoView {
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
            .map(|c| {
                view! {
                    <ChannelCard channel=Some(c) queues=queues.clone() teams=teams.clone() save pictures />
                }
            })
            .collect_view()}
        <ChannelCard channel=None queues teams save pictures />
    }
}

/// One channel as an editable card, or (None) the card that creates one.
#[component]
fn ChannelCard(
    channel: Option<ChannelView>,
    queues: Vec<QueueView>,
    teams: Vec<TeamView>,
    save: ServerAction<SaveChannel>,
    pictures: RwSignal<u32>,
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
        client_files: false,
        is_default: false,
        use_grants: Grants {
            roles: vec![Role::Client],
            teams: vec![],
        },
        operate_grants: Grants {
            roles: vec![Role::Manager],
            teams: vec![],
        },
        image: None,
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
            {(!creating)
                .then(|| {
                    view! {
                        <ChannelPicture
                            id=c.id
                            name=c.name.clone()
                            image=c.image.clone()
                            on_changed=Callback::new(move |()| pictures.update(|n| *n += 1))
                        />
                    }
                })}
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
                    <input type="checkbox" name="client_files" value="true" checked=c.client_files />
                    "Clients may attach files in chats without a deal"
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

/// The channel's picture: shown, replaced from a file, or removed. Sent as the body of a PUT
/// (the server checks its size and that it is a PNG, JPEG, GIF or WebP picture).
#[component]
fn ChannelPicture(
    id: ChannelId,
    name: String,
    image: Option<String>,
    on_changed: Callback<()>,
) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let url = format!("/api/admin/channels/{id}/image");
    let send = {
        move |method: &'static str, file: Option<web_sys::File>| {
            let url = url.clone();
            busy.set(true);
            error.set(None);
            leptos::task::spawn_local(async move {
                let result = picture_request(method, &url, file).await;
                busy.try_set(false);
                match result {
                    Ok(()) => on_changed.run(()),
                    Err(e) => {
                        error.try_set(Some(e));
                    }
                }
            });
        }
    };
    let on_pick = {
        let send = send.clone();
        move |ev: leptos::ev::Event| {
            use leptos::wasm_bindgen::JsCast;
            let input = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok());
            if let Some(input) = input {
                let file = input.files().and_then(|f| f.get(0));
                input.set_value("");
                if let Some(file) = file {
                    send("PUT", Some(file));
                }
            }
        }
    };
    let has_image = image.is_some();
    view! {
        <div class="channel-picture">
            {image.map(|src| view! { <img class="channel-image" src=src alt=format!("Picture of {name}") /> })}
            <label class="ghost attach">
                {if has_image { "Replace picture" } else { "Add picture" }}
                <input
                    type="file"
                    class="sr-only"
                    accept="image/png,image/jpeg,image/gif,image/webp"
                    aria-label=format!("Picture of channel {name}")
                    disabled=move || busy.get()
                    on:change=on_pick
                />
            </label>
            {has_image
                .then(|| {
                    let send = send.clone();
                    view! {
                        <button type="button" class="ghost" disabled=move || busy.get() on:click=move |_| send("DELETE", None)>
                            "Remove picture"
                        </button>
                    }
                })}
            <p class="field-error" role="alert">{move || error.get()}</p>
        </div>
    }
}

/// One picture request; the server's reason when it refuses.
#[cfg(feature = "hydrate")]
async fn picture_request(
    method: &str,
    url: &str,
    file: Option<web_sys::File>,
) -> Result<(), String> {
    use crate::ui::files::uploader::xhr;
    let answer = xhr::send(method, url, &[], file.as_deref(), None).await;
    match answer.status {
        200..=299 => Ok(()),
        0 => Err("The server could not be reached; try again.".into()),
        _ if !answer.error.is_empty() => Err(answer.error),
        _ => Err("The picture could not be changed.".into()),
    }
}

#[cfg(not(feature = "hydrate"))]
async fn picture_request(
    _method: &str,
    _url: &str,
    _file: Option<web_sys::File>,
) -> Result<(), String> {
    Err("Pictures are sent from the browser.".into())
}
