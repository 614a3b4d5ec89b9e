//! Admins: quick replies (a title, a text with `{client_name}`, `{agent_name}` and
//! `{deal_title}`, a language matching the channels they are offered in, optionally one team).

use crate::api::quick_replies::{DeleteQuickReply, SaveQuickReply, load_quick_replies_admin};
use crate::model::channels::SUGGESTED_LANGUAGES;
use crate::model::queues::TeamView;
use crate::model::quick_replies::{QuickRepliesAdmin, QuickReplyView};
use crate::ui::forms::form_errors::{FieldError, FormError, last_error};
use crate::ui::forms::loaded::Loaded;
use crate::ui::page_data::page_data;
use crate::ui::shell::admins_only::refusal;
use leptos::prelude::*;

crate::lazy_page!(AdminQuickRepliesRoute, AdminQuickRepliesPage);

#[derive(Clone, Copy)]
struct Actions {
    save: ServerAction<SaveQuickReply>,
    delete: ServerAction<DeleteQuickReply>,
}

#[component]
pub fn AdminQuickRepliesPage() -> impl IntoView {
    if let Some(refused) = refusal(
        "Quick replies",
        "Only administrators can manage quick replies.",
    ) {
        return refused;
    }
    let actions = Actions {
        save: ServerAction::new(),
        delete: ServerAction::new(),
    };
    let data = page_data(
        move || (actions.save.version().get(), actions.delete.version().get()),
        |_| load_quick_replies_admin(),
    );
    let show = move |admin: QuickRepliesAdmin| view! { <RepliesBody admin actions /> };
    view! {
        <section class="panel" aria-labelledby="quick-replies-title">
            <h1 id="quick-replies-title">"Quick replies"</h1>
            <p class="hint">
                "Operators insert these in the composer (type / in an empty message, or the Quick replies button). "
                "Placeholders: {client_name}, {agent_name}, {deal_title}. A reply is offered in the channels of its language, "
                "to everyone or to one team."
            </p>
            <Loaded resource=data loading="Loading quick replies…" show />
        </section>
    }
    .into_any()
}

#[component]
fn RepliesBody(admin: QuickRepliesAdmin, actions: Actions) -> impl IntoView {
    let QuickRepliesAdmin { replies, teams } = admin;
    let error = last_error(actions.save.value());
    let delete_error = last_error(actions.delete.value());
    view! {
        <FormError error />
        <FormError error=delete_error />
        <FieldError error field="title" id="reply-title-error" />
        <FieldError error field="body" id="reply-body-error" />
        <FieldError error field="language" id="reply-language-error" />
        <datalist id="reply-languages">
            {SUGGESTED_LANGUAGES
                .into_iter()
                .map(|(tag, name)| view! { <option value=tag>{name}</option> })
                .collect_view()}
        </datalist>
        {replies
            .into_iter()
            .map(|r| view! { <ReplyCard reply=Some(r) teams=teams.clone() actions /> })
            .collect_view()}
        <ReplyCard reply=None teams actions />
    }
}

/// One quick reply as an editable card, or (None) the card that creates one.
#[component]
fn ReplyCard(
    reply: Option<QuickReplyView>,
    teams: Vec<TeamView>,
    actions: Actions,
) -> impl IntoView {
    let creating = reply.is_none();
    let (id, title, body, language, team) = match &reply {
        Some(r) => (
            Some(r.id),
            r.title.clone(),
            r.body.clone(),
            r.language.clone(),
            r.team.map(|t| t.to_string()).unwrap_or_default(),
        ),
        None => (
            None,
            String::new(),
            String::new(),
            "en".to_owned(),
            String::new(),
        ),
    };
    let label = if creating {
        "New quick reply".to_owned()
    } else {
        title.clone()
    };
    let key = id.map_or_else(|| "new".to_owned(), |id| id.to_string());
    let field = move |name: &str| format!("reply-{key}-{name}");
    let delete_label = format!("Delete {label}");
    view! {
        <section class="team-card reply-card" aria-label=format!("Quick reply {label}")>
            <h2>{label.clone()}</h2>
            <ActionForm action=actions.save attr:class="grid-form" attr:aria-label=format!("Save quick reply {label}")>
                {id.map(|id| view! { <input type="hidden" name="quick_reply_id" value=id.to_string() /> })}
                <label for=field("title")>"Title"</label>
                <input id=field("title") name="title" value=title required=true />
                <label for=field("language")>"Language"</label>
                <input id=field("language") name="language" list="reply-languages" value=language />
                <label for=field("team")>"For"</label>
                <select id=field("team") name="team_id">
                    <option value="" selected=team.is_empty()>"Every operator"</option>
                    {teams
                        .into_iter()
                        .map(|t| {
                            let value = t.id.to_string();
                            let selected = value == team;
                            view! { <option value=value selected=selected>{format!("Team {}", t.name)}</option> }
                        })
                        .collect_view()}
                </select>
                <label for=field("body")>"Text"</label>
                <textarea id=field("body") name="body" rows="3">{body}</textarea>
                <button type="submit" class=if creating { "primary" } else { "ghost" }>
                    {if creating { "Create quick reply" } else { "Save" }}
                </button>
            </ActionForm>
            {id.map(move |id| {
                view! {
                    <ActionForm action=actions.delete attr:class="inline">
                        <input type="hidden" name="quick_reply_id" value=id.to_string() />
                        <button type="submit" class="ghost" aria-label=delete_label>"Delete"</button>
                    </ActionForm>
                }
            })}
        </section>
    }
}
