//! The connector's rules on the CRM page: what client chats create (support, sales or manual),
//! what happens to a client found, how each module finds them, which of our facts fill which
//! field; and the dry run, which shows what the rules on screen would do for a real chat.

use crate::api::crm::{CrmDryRun, SaveCrmRules};
use crate::model::crm_rules::{
    ATTACHMENTS, ChatPick, ConnectorMode, ConnectorRules, CrmFieldView, CrmModule, FieldMap,
    MatchRule, OurField, PlanAction, PlanStep, RulesView, Source, UpdatePolicy,
};
use crate::ui::forms::form_errors::{FormError, last_error};
use leptos::prelude::*;

/// The fields of each module, as the CRM listed them.
type Fields = StoredValue<Vec<(CrmModule, Vec<CrmFieldView>)>>;

fn mode_label(mode: ConnectorMode) -> &'static str {
    match mode {
        ConnectorMode::Support => "Support: a Contact for a new client, a Case for each session",
        ConnectorMode::Sales => "Sales: a Lead for a new client, a Task for each session",
        ConnectorMode::Manual => "Manually: staff create records from the chat",
    }
}

fn policy_label(policy: UpdatePolicy) -> &'static str {
    match policy {
        UpdatePolicy::Keep => "Do not update it",
        UpdatePolicy::Overwrite => "Update it with the chat's data",
        UpdatePolicy::FillEmpty => "Only fill its empty fields",
    }
}

fn action_label(action: PlanAction) -> &'static str {
    match action {
        PlanAction::Create => "Create",
        PlanAction::Update => "Update",
        PlanAction::Keep => "Leave as is",
        PlanAction::Link => "Link",
    }
}

/// Our facts a mapping row may take ("text" is a fixed text).
fn source_value(source: &Source) -> String {
    match source {
        Source::Ours(f) => f.as_str().to_owned(),
        Source::Text(_) => "text".to_owned(),
    }
}

#[component]
pub fn ConnectorRulesForm(view: RulesView, chats: Vec<ChatPick>) -> impl IntoView {
    let rules = RwSignal::new(view.rules);
    let fields: Fields = StoredValue::new(view.fields);
    let save = ServerAction::<SaveCrmRules>::new();
    let run = ServerAction::<CrmDryRun>::new();
    let error = last_error(save.value());
    let run_error = last_error(run.value());
    let saved = move || matches!(save.value().get(), Some(Ok(())));
    let json = move || rules.with(|r| leptos::serde_json::to_string(r).unwrap_or_default());
    let first_chat = chats
        .first()
        .map(|c| c.id.0.to_string())
        .unwrap_or_default();
    let chat = RwSignal::new(first_chat);
    let no_chats = chats.is_empty();
    view! {
        <section class="connector-rules" aria-labelledby="rules-title">
            <h2 id="rules-title">"Connector rules"</h2>
            <p class="hint">
                "What client chats create in the CRM. The client's lead or contact is found or created when a chat starts; the task or case when an operator session closes."
            </p>
            <div class="grid-form">
                <label for="rules-mode">"Client chats"</label>
                <select
                    id="rules-mode"
                    on:change=move |ev| {
                        if let Some(m) = ConnectorMode::parse(&event_target_value(&ev)) {
                            rules.update(|r| r.mode = m);
                        }
                    }
                >
                    {ConnectorMode::ALL
                        .into_iter()
                        .map(|m| {
                            view! {
                                <option value=m.as_str() selected=move || rules.with(|r| r.mode == m)>
                                    {mode_label(m)}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
                <label for="rules-update">"A client found in the CRM"</label>
                <select
                    id="rules-update"
                    on:change=move |ev| {
                        if let Some(p) = UpdatePolicy::parse(&event_target_value(&ev)) {
                            rules.update(|r| r.update = p);
                        }
                    }
                >
                    {UpdatePolicy::ALL
                        .into_iter()
                        .map(|p| {
                            view! {
                                <option value=p.as_str() selected=move || rules.with(|r| r.update == p)>
                                    {policy_label(p)}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
            {CrmModule::ALL
                .into_iter()
                .map(|module| view! { <ModuleRulesEditor module rules fields /> })
                .collect_view()}
            <FormError error />
            {move || {
                error
                    .get()
                    .filter(|e| !e.is_form_level())
                    .map(|e| view! { <p class="form-error" role="alert">{e.to_string()}</p> })
            }}
            <Show when=saved>
                <p class="notice" role="status">"Rules saved."</p>
            </Show>
            <button
                type="button"
                class="primary"
                disabled=move || save.pending().get()
                on:click=move |_| {
                    save.dispatch(SaveCrmRules { rules: json() });
                }
            >
                "Save rules"
            </button>
            <h3>"Dry run"</h3>
            <p class="hint">
                "What the rules on this page (saved or not) would create or update for a chat, read from the CRM without writing to it."
            </p>
            <div class="dry-run-controls">
                <label for="dry-run-chat">"Chat"</label>
                <select id="dry-run-chat" on:change=move |ev| chat.set(event_target_value(&ev)) disabled=no_chats>
                    {chats
                        .into_iter()
                        .map(|c| view! { <option value=c.id.0.to_string()>{c.label}</option> })
                        .collect_view()}
                </select>
                <button
                    type="button"
                    disabled=move || no_chats || run.pending().get()
                    on:click=move |_| {
                        let chat = chat.get_untracked().parse().unwrap_or(0);
                        run.dispatch(CrmDryRun { rules: json(), chat });
                    }
                >
                    "Try the rules"
                </button>
            </div>
            <FormError error=run_error />
            {move || {
                run_error
                    .get()
                    .filter(|e| !e.is_form_level())
                    .map(|e| view! { <p class="form-error" role="alert">{e.to_string()}</p> })
            }}
            {move || match run.value().get() {
                Some(Ok(steps)) => Some(view! { <Plan steps /> }.into_any()),
                _ => None,
            }}
        </section>
    }
}

#[component]
fn Plan(steps: Vec<PlanStep>) -> impl IntoView {
    if steps.is_empty() {
        return view! {
            <p class="notice" role="status">"Manual mode: nothing is created by itself."</p>
        }
        .into_any();
    }
    view! {
        <table class="dry-run" aria-label="Dry run">
            <thead>
                <tr>
                    <th scope="col">"Module"</th>
                    <th scope="col">"Action"</th>
                    <th scope="col">"Owner"</th>
                    <th scope="col">"Fields"</th>
                    <th scope="col">"Why"</th>
                </tr>
            </thead>
            <tbody>
                {steps
                    .into_iter()
                    .map(|s| {
                        let record = s.record_id.clone().map(|id| format!(" ({id})"));
                        view! {
                            <tr>
                                <td>{s.module.singular()}{record}</td>
                                <td>{action_label(s.action)}</td>
                                <td>{s.owner.unwrap_or_else(|| "—".into())}</td>
                                <td>
                                    <dl class="plan-fields">
                                        {s
                                            .fields
                                            .into_iter()
                                            .map(|(f, v)| view! {
                                                <dt>{f}</dt>
                                                <dd>{v}</dd>
                                            })
                                            .collect_view()}
                                        {(!s.attachments.is_empty())
                                            .then(|| view! {
                                                <dt>{ATTACHMENTS}</dt>
                                                <dd>{s.attachments.join(", ")}</dd>
                                            })}
                                    </dl>
                                </td>
                                <td>{s.why}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// Edits `rules`' section for `module` with `f`.
fn edit(
    rules: RwSignal<ConnectorRules>,
    module: CrmModule,
    f: impl FnOnce(&mut crate::model::crm_rules::ModuleRules),
) {
    rules.update(|r| {
        if let Some(m) = r.modules.iter_mut().find(|m| m.module == module) {
            f(m);
        }
    });
}

#[component]
fn ModuleRulesEditor(
    module: CrmModule,
    rules: RwSignal<ConnectorRules>,
    fields: Fields,
) -> impl IntoView {
    let names = move || {
        fields.with_value(|all| {
            all.iter()
                .find(|(m, _)| *m == module)
                .map(|(_, f)| f.clone())
                .unwrap_or_default()
        })
    };
    let identifies = matches!(
        module,
        CrmModule::Leads | CrmModule::Contacts | CrmModule::Accounts
    );
    let maps = module != CrmModule::Accounts;
    let count = move |of_identify: bool| {
        rules.with(|r| {
            r.module(module).map_or(0, |m| {
                if of_identify {
                    m.identify.len()
                } else {
                    m.fields.len()
                }
            })
        })
    };
    let title = format!("{} ({})", module.as_str(), module.singular());
    view! {
        <fieldset class="module-rules">
            <legend>{title}</legend>
            {identifies
                .then(|| {
                    view! {
                        <h4>"Find the client by, in order"</h4>
                        <ol class="match-rules">
                            {move || {
                                (0..count(true))
                                    .map(|i| view! { <MatchRow module i rules names=names() /> })
                                    .collect_view()
                            }}
                        </ol>
                        <button
                            type="button"
                            class="ghost"
                            on:click=move |_| edit(rules, module, |m| m.identify.push(MatchRule::Email))
                        >
                            {format!("Add a rule for {}", module.as_str())}
                        </button>
                    }
                })}
            {maps
                .then(|| {
                    view! {
                        <h4>"Fields written"</h4>
                        <table class="field-map" aria-label=format!("{} fields", module.as_str())>
                            <thead>
                                <tr>
                                    <th scope="col">"CRM field"</th>
                                    <th scope="col">"From"</th>
                                    <th scope="col">"Text, or when unknown"</th>
                                    <th scope="col"></th>
                                </tr>
                            </thead>
                            <tbody>
                                {move || {
                                    (0..count(false))
                                        .map(|i| view! { <MapRow module i rules names=names() /> })
                                        .collect_view()
                                }}
                            </tbody>
                        </table>
                        <button
                            type="button"
                            class="ghost"
                            on:click=move |_| {
                                edit(rules, module, |m| m.fields.push(FieldMap {
                                    field: "Description".into(),
                                    from: Source::Ours(OurField::ChatId),
                                    otherwise: String::new(),
                                }))
                            }
                        >
                            {format!("Add a field for {}", module.as_str())}
                        </button>
                    }
                })}
        </fieldset>
    }
}

#[component]
fn MatchRow(
    module: CrmModule,
    i: usize,
    rules: RwSignal<ConnectorRules>,
    names: Vec<CrmFieldView>,
) -> impl IntoView {
    let rule = move || rules.with(|r| r.module(module).and_then(|m| m.identify.get(i).cloned()));
    let kind = move || match rule() {
        Some(MatchRule::Email) => "email",
        Some(MatchRule::Phone) => "phone",
        _ => "field",
    };
    let set = move |new: MatchRule| {
        edit(rules, module, |m| {
            if let Some(r) = m.identify.get_mut(i) {
                *r = new;
            }
        })
    };
    let label = format!("{} rule {}", module.as_str(), i + 1);
    let field_names = StoredValue::new(names);
    view! {
        <li>
            <select
                aria-label=label.clone()
                on:change=move |ev| {
                    set(match event_target_value(&ev).as_str() {
                        "email" => MatchRule::Email,
                        "phone" => MatchRule::Phone,
                        _ => MatchRule::Field {
                            field: field_names.with_value(|n| n.first().map(|f| f.api_name.clone()).unwrap_or_default()),
                            ours: OurField::ClientId,
                        },
                    })
                }
            >
                <option value="email" selected=move || kind() == "email">"Email"</option>
                <option value="phone" selected=move || kind() == "phone">"Phone"</option>
                <option value="field" selected=move || kind() == "field">"A field equal to…"</option>
            </select>
            {move || match rule() {
                Some(MatchRule::Field { field, ours }) => Some(view! {
                    <select
                        aria-label=format!("{label}: CRM field")
                        on:change=move |ev| set(MatchRule::Field { field: event_target_value(&ev), ours })
                    >
                        {field_names.with_value(|n| n.iter().map(|f| {
                            let selected = f.api_name == field;
                            view! { <option value=f.api_name.clone() selected=selected>{f.label.clone()}</option> }
                        }).collect_view())}
                    </select>
                    <span>" = "</span>
                    <select
                        aria-label=format!("{label}: our value")
                        on:change={
                            move |ev| {
                                if let Some(o) = OurField::parse(&event_target_value(&ev)) {
                                    set(MatchRule::Field { field: field.clone(), ours: o });
                                }
                            }
                        }
                    >
                        {OurField::ALL.into_iter().filter(|o| !matches!(o, OurField::Agent | OurField::Attachments | OurField::ChatContent)).map(|o| view! {
                            <option value=o.as_str() selected=o == ours>{o.label()}</option>
                        }).collect_view()}
                    </select>
                }),
                _ => None,
            }}
            <button type="button" class="ghost" aria-label=format!("Move {} rule {} up", module.as_str(), i + 1) disabled=i == 0
                on:click=move |_| edit(rules, module, |m| if i > 0 && i < m.identify.len() { m.identify.swap(i - 1, i) })>
                "↑"
            </button>
            <button type="button" class="ghost" aria-label=format!("Remove {} rule {}", module.as_str(), i + 1)
                on:click=move |_| edit(rules, module, |m| if i < m.identify.len() { m.identify.remove(i); })>
                "✕"
            </button>
        </li>
    }
}

#[component]
fn MapRow(
    module: CrmModule,
    i: usize,
    rules: RwSignal<ConnectorRules>,
    names: Vec<CrmFieldView>,
) -> impl IntoView {
    let row = move || rules.with(|r| r.module(module).and_then(|m| m.fields.get(i).cloned()));
    let update = move |f: Box<dyn FnOnce(&mut FieldMap)>| {
        edit(rules, module, |m| {
            if let Some(r) = m.fields.get_mut(i) {
                f(r);
            }
        })
    };
    let Some(current) = row() else {
        return ().into_any();
    };
    let label = format!("{} field {}", module.as_str(), i + 1);
    let known = names.iter().any(|f| f.api_name == current.field) || current.field == ATTACHMENTS;
    let fixed = match &current.from {
        Source::Text(t) => t.clone(),
        Source::Ours(_) => current.otherwise.clone(),
    };
    view! {
        <tr>
            <td>
                <select
                    aria-label=format!("{label}: CRM field")
                    on:change=move |ev| {
                        let v = event_target_value(&ev);
                        update(Box::new(move |r| r.field = v));
                    }
                >
                    {(!known).then(|| view! { <option value=current.field.clone() selected=true>{format!("{} (not in the CRM)", current.field)}</option> })}
                    {names.iter().map(|f| {
                        let text = if f.required { format!("{} (required)", f.label) } else { f.label.clone() };
                        view! { <option value=f.api_name.clone() selected=f.api_name == current.field>{text}</option> }
                    }).collect_view()}
                    <option value=ATTACHMENTS selected=current.field == ATTACHMENTS>"Attachments"</option>
                </select>
            </td>
            <td>
                <select
                    aria-label=format!("{label}: from")
                    on:change=move |ev| {
                        let v = event_target_value(&ev);
                        update(Box::new(move |r| {
                            r.from = match OurField::parse(&v) {
                                Some(o) => Source::Ours(o),
                                None => Source::Text(r.otherwise.clone()),
                            };
                        }));
                    }
                >
                    {OurField::ALL.into_iter().map(|o| view! {
                        <option value=o.as_str() selected=source_value(&current.from) == o.as_str()>{o.label()}</option>
                    }).collect_view()}
                    <option value="text" selected=matches!(current.from, Source::Text(_))>"Fixed text"</option>
                </select>
            </td>
            <td>
                <input
                    aria-label=format!("{label}: text")
                    prop:value=fixed
                    on:change=move |ev| {
                        let v = event_target_value(&ev);
                        update(Box::new(move |r| match &mut r.from {
                            Source::Text(t) => *t = v,
                            Source::Ours(_) => r.otherwise = v,
                        }));
                    }
                />
            </td>
            <td>
                <button type="button" class="ghost" aria-label=format!("Remove {label}")
                    on:click=move |_| edit(rules, module, |m| if i < m.fields.len() { m.fields.remove(i); })>
                    "✕"
                </button>
            </td>
        </tr>
    }
    .into_any()
}
