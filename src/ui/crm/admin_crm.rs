//! Admins: which CRM the app works with, and the Zoho connection: connect (Zoho's consent page),
//! pick the CRM organisation, see who connected it and whether it needs reconnecting, disconnect;
//! the deal stages, the connector's rules (`rules.rs`) and the sync log.

use crate::api::crm::{
    ChooseZohoOrg, ConnectZoho, DisconnectZoho, RetryCrmSync, SaveCrmStages, crm_connection,
    crm_recent_chats, crm_rules, crm_stages, crm_sync_log,
};
use crate::model::crm::{
    ConnectionStatus, CrmConnectionView, CrmOrgView, StageMappingView, SyncEntryView,
    ZohoConnectionView, connect_outcome, stage_field,
};
use crate::model::crm_rules::{ChatPick, RulesView};
use crate::model::{AppError, DealStage};
use crate::ui::crm::panel_fields::PanelFieldsForm;
use crate::ui::crm::rules::ConnectorRulesForm;
use crate::ui::forms::form_errors::{FieldError, FormError, last_error};
use crate::ui::forms::loaded::Loaded;
use crate::ui::forms::table::Table;
use crate::ui::forms::text_field::TextField;
use crate::ui::page_data::page_data;
use crate::ui::shell::admins_only::refusal;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

crate::lazy_page!(AdminCrmRoute, AdminCrmPage);

#[derive(Clone, Copy)]
struct Actions {
    connect: ServerAction<ConnectZoho>,
    choose: ServerAction<ChooseZohoOrg>,
    disconnect: ServerAction<DisconnectZoho>,
}

#[component]
pub fn AdminCrmPage() -> impl IntoView {
    if let Some(refused) = refusal("CRM", "Only administrators can manage the CRM connection.") {
        return refused;
    }
    let query = use_query_map();
    let outcome = move || {
        query
            .with(|q| q.get("zoho"))
            .and_then(|c| connect_outcome(&c))
    };
    let actions = Actions {
        connect: ServerAction::<ConnectZoho>::new(),
        choose: ServerAction::<ChooseZohoOrg>::new(),
        disconnect: ServerAction::<DisconnectZoho>::new(),
    };
    // The consent page is Zoho's: the browser leaves for it.
    Effect::new(move |_| {
        if let Some(Ok(url)) = actions.connect.value().get() {
            let _ = window().location().set_href(&url);
        }
    });
    let data = page_data(
        move || {
            (
                actions.choose.version().get(),
                actions.disconnect.version().get(),
            )
        },
        |_| crm_connection(),
    );
    let disconnect_warning = move || match actions.disconnect.value().get() {
        Some(Ok(Some(warning))) => Some(warning),
        _ => None,
    };
    let save_stages = ServerAction::<SaveCrmStages>::new();
    let stages = page_data(
        move || {
            (
                actions.choose.version().get(),
                actions.disconnect.version().get(),
                save_stages.version().get(),
            )
        },
        |_| crm_stages(),
    );
    let rules = page_data(
        move || {
            (
                actions.choose.version().get(),
                actions.disconnect.version().get(),
            )
        },
        |_| async {
            let view = crm_rules().await?;
            let chats = crm_recent_chats().await?;
            Ok::<_, AppError>((view, chats))
        },
    );
    let show_rules = move |(view, chats): (RulesView, Vec<ChatPick>)| {
        let fields = view.fields.clone();
        let panel = view.panel.clone();
        view! {
            <ConnectorRulesForm view chats />
            <PanelFieldsForm fields panel />
        }
    };
    let retry = ServerAction::<RetryCrmSync>::new();
    let log = page_data(
        move || (retry.version().get(), actions.disconnect.version().get()),
        |_| crm_sync_log(),
    );
    let show_log = move |lines: Vec<SyncEntryView>| view! { <SyncLog lines retry /> };
    let show = move |view: CrmConnectionView| view! { <ConnectionBody view actions /> };
    let show_stages = move |mapping: Option<StageMappingView>| {
        mapping.map(|view| view! { <StageMapping view save=save_stages /> })
    };
    view! {
        <section class="panel" aria-labelledby="crm-title">
            <h1 id="crm-title">"CRM"</h1>
            {move || {
                outcome()
                    .map(|(ok, text)| {
                        if ok {
                            view! { <p class="notice" role="status">{text}</p> }.into_any()
                        } else {
                            view! { <p class="form-error" role="alert">{text}</p> }.into_any()
                        }
                    })
            }}
            {move || {
                disconnect_warning()
                    .map(|w| view! { <p class="form-error" role="alert">{w}</p> })
            }}
            <Loaded resource=data loading="Loading the CRM connection…" show />
            <Loaded resource=stages loading="Loading the deal stages…" show=show_stages />
            <Loaded resource=rules loading="Loading the connector rules…" show=show_rules />
            <Loaded resource=log loading="Loading the sync log…" show=show_log />
        </section>
    }
    .into_any()
}

#[component]
fn ConnectionBody(view: CrmConnectionView, actions: Actions) -> impl IntoView {
    let in_use = if view.provider == "zoho" {
        "Zoho CRM"
    } else {
        "the built-in CRM"
    };
    let redirect_uri = view.redirect_uri.clone();
    let data_centres = view.data_centres.clone();
    let connect_form = move |title: &'static str| {
        view! {
            <ConnectForm
                title
                redirect_uri=redirect_uri.clone()
                data_centres=data_centres.clone()
                connect=actions.connect
            />
        }
    };
    let zoho = view.zoho;
    view! {
        <p class="crm-in-use">"The app works with " <strong>{in_use}</strong> "."</p>
        {match zoho {
            None => connect_form("Connect Zoho CRM").into_any(),
            Some(z) => {
                let status = z.status;
                let orgs = z.orgs.clone();
                view! {
                    <ZohoStatus z disconnect=actions.disconnect />
                    {(status == ConnectionStatus::ChooseOrg)
                        .then(|| view! { <OrgPicker orgs choose=actions.choose /> })}
                    {(status == ConnectionStatus::ReconnectNeeded)
                        .then(|| connect_form("Reconnect Zoho"))}
                }
                    .into_any()
            }
        }}
    }
}

fn status_label(status: ConnectionStatus) -> &'static str {
    match status {
        ConnectionStatus::ChooseOrg => "Choose the organisation",
        ConnectionStatus::Connected => "Connected",
        ConnectionStatus::ReconnectNeeded => "Reconnect needed",
    }
}

#[component]
fn ZohoStatus(z: ZohoConnectionView, disconnect: ServerAction<DisconnectZoho>) -> impl IntoView {
    let confirming = RwSignal::new(false);
    let error = last_error(disconnect.value());
    let account = match (z.account_name, z.account_email) {
        (Some(n), Some(e)) => format!("{n} ({e})"),
        (Some(x), None) | (None, Some(x)) => x,
        (None, None) => "—".into(),
    };
    let org = z.org.map_or_else(
        || "Not chosen yet".to_owned(),
        |o| format!("{} ({})", o.name, o.id),
    );
    let reconnect = z.status == ConnectionStatus::ReconnectNeeded;
    view! {
        <section class="crm-connection" aria-labelledby="zoho-title">
            <h2 id="zoho-title">"Zoho"</h2>
            <dl class="fields">
                <dt>"Status"</dt>
                <dd class="crm-status" class:warning=reconnect>{status_label(z.status)}</dd>
                {z.status_reason.map(|r| view! { <dt>"Reason"</dt> <dd>{r}</dd> })}
                <dt>"Zoho account"</dt>
                <dd>{account}</dd>
                <dt>"Organisation"</dt>
                <dd>{org}</dd>
                <dt>"Data centre"</dt>
                <dd>{z.api_domain}</dd>
                <dt>"Connected by"</dt>
                <dd>{z.connected_by} " · " {z.connected_at}</dd>
            </dl>
            {reconnect.then(|| view! {
                <p class="hint">
                    "Zoho no longer accepts the app's access. Nothing is lost: CRM work waits until Zoho is connected again."
                </p>
            })}
            <FormError error />
            <Show
                when=move || confirming.get()
                fallback=move || view! {
                    <button type="button" class="ghost" on:click=move |_| confirming.set(true)>
                        "Disconnect"
                    </button>
                }
            >
                <div class="confirm" role="group" aria-label="Confirm disconnect">
                    <p>
                        "Disconnect Zoho? The app revokes its access at Zoho, forgets the tokens and goes back to the built-in CRM."
                    </p>
                    <ActionForm action=disconnect>
                        <button type="submit" class="danger">"Disconnect Zoho"</button>
                    </ActionForm>
                    <button type="button" class="ghost" on:click=move |_| confirming.set(false)>
                        "Cancel"
                    </button>
                </div>
            </Show>
        </section>
    }
}

#[component]
fn OrgPicker(orgs: Vec<CrmOrgView>, choose: ServerAction<ChooseZohoOrg>) -> impl IntoView {
    let error = last_error(choose.value());
    view! {
        <ActionForm action=choose attr:class="org-picker" attr:aria-label="Organisation">
            <fieldset>
                <legend>"Choose the CRM organisation the app works in"</legend>
                {orgs
                    .into_iter()
                    .map(|o| {
                        view! {
                            <label class="radio">
                                <input type="radio" name="org" value=o.id.clone() required=true />
                                {format!("{} ({})", o.name, o.id)}
                            </label>
                        }
                    })
                    .collect_view()}
            </fieldset>
            <FieldError error field="org" id="org-error" />
            <FormError error />
            <button type="submit">"Use this organisation"</button>
        </ActionForm>
    }
}

#[component]
fn ConnectForm(
    title: &'static str,
    redirect_uri: String,
    data_centres: Vec<(String, String)>,
    connect: ServerAction<ConnectZoho>,
) -> impl IntoView {
    let error = last_error(connect.value());
    let pending = connect.pending();
    view! {
        <ActionForm action=connect attr:class="crm-connect" attr:aria-label=title>
            <h2>{title}</h2>
            <p class="hint">
                "Register a server-based client in Zoho's API console with this redirect URI, then enter its ID and secret. "
                "They are stored encrypted."
            </p>
            <p>
                "Redirect URI: " <code class="redirect-uri">{redirect_uri}</code>
            </p>
            <label for="data_centre">"Data centre"</label>
            <select id="data_centre" name="data_centre">
                {data_centres
                    .into_iter()
                    .map(|(code, label)| view! { <option value=code>{label}</option> })
                    .collect_view()}
            </select>
            <FieldError error field="data_centre" id="data_centre-error" />
            <TextField id="client_id" name="client_id" label="Client ID" error />
            <TextField
                id="client_secret"
                name="client_secret"
                label="Client secret"
                input_type="password"
                error
            />
            <FormError error />
            <button type="submit" disabled=move || pending.get()>"Connect with Zoho"</button>
        </ActionForm>
    }
}

/// A select of the CRM's stages, `current` chosen; `error_id` is where its error is told.
fn crm_choice(
    name: String,
    error_id: &'static str,
    label: String,
    choices: &[String],
    current: &str,
) -> impl IntoView {
    let known = choices.iter().any(|c| c == current);
    view! {
        <select name=name aria-label=label aria-describedby=format!("{error_id}-error")>
            {(!known)
                .then(|| {
                    view! {
                        <option value=current.to_owned() selected=true>
                            {format!("{current} (not in the CRM's list)")}
                        </option>
                    }
                })}
            {choices
                .iter()
                .map(|c| {
                    view! {
                        <option value=c.clone() selected=c == current>
                            {c.clone()}
                        </option>
                    }
                })
                .collect_view()}
        </select>
    }
}

#[component]
fn StageMapping(view: StageMappingView, save: ServerAction<SaveCrmStages>) -> impl IntoView {
    let error = last_error(save.value());
    let saved = move || matches!(save.value().get(), Some(Ok(())));
    let choices = view.choices.clone();
    let outgoing = view
        .to_crm
        .iter()
        .enumerate()
        .map(|(i, (stage, value))| {
            let field = stage_field(*stage);
            view! {
                <tr>
                    <td>{stage.label()}</td>
                    <td>
                        {crm_choice(
                            format!("to[{i}]"),
                            field,
                            format!("{} in the CRM", stage.label()),
                            &choices,
                            value,
                        )}
                        <FieldError error field id=format!("{field}-error") />
                    </td>
                </tr>
            }
        })
        .collect_view();
    let incoming = view
        .choices
        .iter()
        .zip(view.from_crm.iter())
        .enumerate()
        .map(|(i, (value, ours))| {
            let ours = *ours;
            view! {
                <tr>
                    <td>{value.clone()}</td>
                    <td>
                        <select name=format!("from[{i}]") aria-label=format!("{value} means here")>
                            <option value="" selected=ours.is_none()>"None of ours"</option>
                            {DealStage::ALL
                                .iter()
                                .map(|s| {
                                    view! {
                                        <option value=s.as_str() selected=ours == Some(*s)>
                                            {s.label()}
                                        </option>
                                    }
                                })
                                .collect_view()}
                        </select>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <ActionForm action=save attr:class="stage-mapping" attr:aria-label="Deal stages">
            <h2>"Deal stages"</h2>
            <p class="hint">
                "How our stages go out to the CRM, and which of the CRM's stages move ours when someone changes a deal there."
            </p>
            <table class="stage-map">
                <thead>
                    <tr>
                        <th scope="col">"Here"</th>
                        <th scope="col">"In the CRM"</th>
                    </tr>
                </thead>
                <tbody>
                    {outgoing}
                    <tr>
                        <td>"Closed won"</td>
                        <td>
                            {crm_choice(
                                "won".into(),
                                "won",
                                "Closed won in the CRM".into(),
                                &view.choices,
                                &view.won,
                            )}
                            <FieldError error field="won" id="won-error" />
                        </td>
                    </tr>
                    <tr>
                        <td>"Closed lost"</td>
                        <td>
                            {crm_choice(
                                "lost".into(),
                                "lost",
                                "Closed lost in the CRM".into(),
                                &view.choices,
                                &view.lost,
                            )}
                            <FieldError error field="lost" id="lost-error" />
                        </td>
                    </tr>
                </tbody>
            </table>
            <table class="stage-map">
                <thead>
                    <tr>
                        <th scope="col">"In the CRM"</th>
                        <th scope="col">"Means here"</th>
                    </tr>
                </thead>
                <tbody>{incoming}</tbody>
            </table>
            <FieldError error field="from" id="from-error" />
            <FormError error />
            <Show when=saved>
                <p class="notice" role="status">"Stages saved."</p>
            </Show>
            <button type="submit">"Save stages"</button>
        </ActionForm>
    }
}

#[component]
fn SyncLog(lines: Vec<SyncEntryView>, retry: ServerAction<RetryCrmSync>) -> impl IntoView {
    let error = last_error(retry.value());
    let body = if lines.is_empty() {
        view! { <p class="empty">"Nothing was sent to the CRM yet."</p> }.into_any()
    } else {
        view! {
            <Table class="sync-log" headers=&["When", "Deal", "Action", "CRM record", "Outcome", "Detail", ""]>
                {lines
                    .into_iter()
                    .map(|l| {
                        let record = match (&l.module, &l.remote_id) {
                            (Some(m), Some(id)) => format!("{m} {id}"),
                            _ => String::new(),
                        };
                        let deal = l
                            .deal_title
                            .clone()
                            .map(|t| format!("#{} {t}", l.deal_id.map_or(0, |d| d.0)))
                            .unwrap_or_default();
                        let aria = format!("Retry: {}", l.action);
                        view! {
                            <tr class=format!("sync-{}", l.outcome.as_str())>
                                <td>{l.at.clone()}</td>
                                <td>{deal}</td>
                                <td>{l.action.clone()}</td>
                                <td>{record}</td>
                                <td>{l.outcome.as_str()}</td>
                                <td class="job-error">{l.detail.clone()}</td>
                                <td>
                                    {l.can_retry.then(|| view! {
                                        <ActionForm action=retry>
                                            <input type="hidden" name="entry_id" value=l.id.to_string() />
                                            <button type="submit" class="ghost" aria-label=aria>"Retry"</button>
                                        </ActionForm>
                                    })}
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </Table>
        }
        .into_any()
    };
    view! {
        <section class="sync-log" aria-labelledby="sync-log-title">
            <h2 id="sync-log-title">"Sync log"</h2>
            <p class="hint">"Every action taken in the CRM, newest first; a failed delivery can be tried again once its cause is fixed."</p>
            <FormError error />
            {body}
        </section>
    }
}
