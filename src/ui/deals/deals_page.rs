//! Staff: the deals whose chats they may read (admins: all), searched by title or client and
//! filtered by stage, state and owner; each opens its record and its chat.

use crate::api::deals::list_deals;
use crate::model::deal_list::{DEALS_SHOWN, DealRow, DealState, DealsPage};
use crate::model::ids::UserId;
use crate::model::{DealStage, UserView};
use crate::ui::chat::live::LiveChats;
use crate::ui::forms::loaded::Loaded;
use crate::ui::page_data::page_data;
use leptos::prelude::*;

crate::lazy_page!(DealsRoute, DealsPageView);

/// What the form asks for: search text, stage, state and owner, as the form holds them.
#[derive(Clone, Debug, Default, PartialEq)]
struct Asked {
    q: String,
    stage: String,
    state: String,
    owner: String,
}

#[component]
pub fn DealsPageView() -> impl IntoView {
    let me = expect_context::<UserView>();
    if !me.role.is_staff() {
        return view! {
            <section class="panel">
                <h1>"Deals"</h1>
                <p class="form-error" role="alert">"Only staff can see the deals page."</p>
            </section>
        }
        .into_any();
    }
    let form = RwSignal::new(Asked {
        state: DealState::Open.as_str().to_owned(),
        ..Asked::default()
    });
    let asked = RwSignal::new(form.get_untracked());
    let data = page_data(
        move || asked.get(),
        |a: Asked| {
            let blank = |s: String| (!s.is_empty()).then_some(s);
            let owner = a.owner.parse::<i64>().ok().map(UserId);
            list_deals(blank(a.q), blank(a.stage), blank(a.state), owner)
        },
    );
    let field = move |set: fn(&mut Asked, String)| {
        move |ev: leptos::ev::Event| {
            let value = event_target_value(&ev);
            form.update(|f| set(f, value));
        }
    };
    let show = move |page: DealsPage| view! { <DealsTable page form /> };
    view! {
        <section class="panel" aria-labelledby="deals-title">
            <h1 id="deals-title">"Deals"</h1>
            <form
                class="deal-filters"
                role="search"
                aria-label="Find deals"
                on:submit=move |ev| {
                    ev.prevent_default();
                    asked.set(form.get_untracked());
                }
            >
                <label>
                    "Title or client"
                    <input
                        type="search"
                        name="q"
                        maxlength="200"
                        prop:value=move || form.with(|f| f.q.clone())
                        on:input=field(|f, v| f.q = v)
                    />
                </label>
                <label>
                    "Stage"
                    <select name="stage" on:change=field(|f, v| f.stage = v)>
                        <option value="">"Any stage"</option>
                        {DealStage::ALL
                            .map(|s| view! { <option value=s.as_str()>{s.label()}</option> })
                            .collect_view()}
                    </select>
                </label>
                <label>
                    "State"
                    <select name="state" on:change=field(|f, v| f.state = v)>
                        <option value="open" selected=true>"Open"</option>
                        <option value="closed">"Closed"</option>
                        <option value="all">"All"</option>
                    </select>
                </label>
                <button type="submit" class="primary">"Find"</button>
            </form>
            <Loaded resource=data loading="Loading deals…" show />
        </section>
    }
    .into_any()
}

#[component]
fn DealsTable(page: DealsPage, form: RwSignal<Asked>) -> impl IntoView {
    let DealsPage {
        deals,
        more,
        owners,
    } = page;
    let live = use_context::<LiveChats>();
    let date = move |ms: i64| {
        live.map(|l| l.clock.with_untracked(|c| c.date(ms)))
            .unwrap_or_default()
    };
    let empty = deals.is_empty();
    view! {
        <label class="deal-owner-filter">
            "Owner"
            <select
                name="owner_id"
                on:change=move |ev| {
                    let v = event_target_value(&ev);
                    form.update(|f| f.owner = v);
                }
            >
                <option value="">"Anyone"</option>
                {owners
                    .into_iter()
                    .map(|o| {
                        let selected = form.with_untracked(|f| f.owner == o.id.to_string());
                        view! { <option value=o.id.to_string() selected=selected>{o.name}</option> }
                    })
                    .collect_view()}
            </select>
        </label>
        {empty.then(|| view! { <p class="empty">"No deals match."</p> })}
        {(!empty)
            .then(|| {
                view! {
                    <div class="table-wrap">
                        <table class="deals" aria-label="Deals">
                            <thead>
                                <tr>
                                    <th scope="col">"Deal"</th>
                                    <th scope="col">"Client"</th>
                                    <th scope="col">"Stage"</th>
                                    <th scope="col">"Amount"</th>
                                    <th scope="col">"Owner"</th>
                                    <th scope="col">"Opened"</th>
                                    <th scope="col">"Closed"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {deals
                                    .into_iter()
                                    .map(|d| {
                                        let opened = date(d.created_at_ms);
                                        let closed = closed_label(&d, date);
                                        view! { <DealLine deal=d opened closed /> }
                                    })
                                    .collect_view()}
                            </tbody>
                        </table>
                    </div>
                }
            })}
        {more
            .then(|| {
                view! {
                    <p class="hint">
                        {format!("The newest {DEALS_SHOWN} are listed: narrow the search to see others.")}
                    </p>
                }
            })}
    }
}

/// The Closed column: the date and the outcome, or "Open".
fn closed_label(deal: &DealRow, date: impl Fn(i64) -> String) -> String {
    match (deal.closed_at_ms, deal.outcome) {
        (Some(at), Some(outcome)) => format!("{} ({outcome})", date(at)),
        (Some(at), None) => date(at),
        (None, _) => "Open".to_owned(),
    }
}

#[component]
fn DealLine(deal: DealRow, opened: String, closed: String) -> impl IntoView {
    let title = view! {
        <a href=format!("/deals/{}", deal.id)>{deal.title}</a>
        {deal
            .conversation_id
            .map(|chat| view! { " · " <a class="meta" href=format!("/chats/{chat}")>"Open chat"</a> })}
    };
    view! {
        <tr>
            <td>{title}</td>
            <td>{deal.client_name}</td>
            <td>{deal.stage.label()}</td>
            <td>{deal.amount.map_or_else(|| "—".to_owned(), |m| m.to_string())}</td>
            <td>{deal.owner_name.unwrap_or_else(|| "Nobody yet".to_owned())}</td>
            <td>{opened}</td>
            <td>{closed}</td>
        </tr>
    }
}
