//! Admins: teams (who works together), queues (their team, routing rule and chat timeout) and
//! each employee's capacity, on one page.

use crate::api::queues::{CreateTeam, SaveQueue, SetCapacity, SetTeamMember, load_queues_admin};
use crate::model::queues::{
    MAX_CAPACITY, OperatorView, QueueView, QueuesAdmin, Routing, TIMEOUT_MINUTES, TeamView,
};
use crate::ui::forms::form_errors::{FieldError, FormError, last_error};
use crate::ui::forms::loaded::Loaded;
use crate::ui::forms::table::Table;
use crate::ui::forms::text_field::TextField;
use crate::ui::page_data::page_data;
use crate::ui::shell::admins_only::refusal;
use leptos::prelude::*;

crate::lazy_page!(AdminQueuesRoute, AdminQueuesPage);

/// The page's actions: any of them done reloads the page's data.
#[derive(Clone, Copy)]
struct Actions {
    team: ServerAction<CreateTeam>,
    member: ServerAction<SetTeamMember>,
    queue: ServerAction<SaveQueue>,
    capacity: ServerAction<SetCapacity>,
}

#[component]
pub fn AdminQueuesPage() -> impl IntoView {
    if let Some(refused) = refusal(
        "Queues and teams",
        "Only administrators can manage queues and teams.",
    ) {
        return refused;
    }
    let actions = Actions {
        team: ServerAction::new(),
        member: ServerAction::new(),
        queue: ServerAction::new(),
        capacity: ServerAction::new(),
    };
    let data = page_data(
        move || {
            (
                actions.team.version().get(),
                actions.member.version().get(),
                actions.queue.version().get(),
                actions.capacity.version().get(),
            )
        },
        |_| load_queues_admin(),
    );
    let show = move |admin: QueuesAdmin| view! { <QueuesBody admin actions /> };
    view! {
        <section class="panel" aria-labelledby="queues-title">
            <h1 id="queues-title">"Queues and teams"</h1>
            <Loaded resource=data loading="Loading queues…" show />
        </section>
    }
    .into_any()
}

#[component]
fn QueuesBody(admin: QueuesAdmin, actions: Actions) -> impl IntoView {
    let QueuesAdmin {
        teams,
        queues,
        operators,
    } = admin;
    let member_error = last_error(actions.member.value());
    let queue_error = last_error(actions.queue.value());
    let capacity_error = last_error(actions.capacity.value());
    let team_error = last_error(actions.team.value());
    let team_choices = teams
        .iter()
        .map(|t| (t.id.to_string(), t.name.clone()))
        .collect::<Vec<_>>();
    view! {
        <h2>"Queues"</h2>
        <p class="hint">
            "New chats go to the default queue. “To all agents”: everyone in the queue sees a waiting chat and one accepts it. "
            "Round robin and least busy assign it at once to an available operator under their capacity; when nobody is free it waits, oldest first."
        </p>
        <FormError error=queue_error />
        <Table class="queues" headers=&["Name", "Team", "Routing", "Chat timeout (minutes)", "Default", ""]>
            {queues
                .into_iter()
                .map(|q| view! { <QueueRow queue=Some(q) teams=team_choices.clone() action=actions.queue /> })
                .collect_view()}
            <QueueRow queue=None teams=team_choices.clone() action=actions.queue />
        </Table>
        <FieldError error=queue_error field="name" id="queue-name-error" />
        <FieldError error=queue_error field="timeout_minutes" id="queue-timeout-error" />

        <h2>"Teams"</h2>
        <ActionForm action=actions.team attr:aria-label="Create team" attr:class="inline-form">
            <TextField id="new-team" name="name" label="New team" error=team_error />
            <button type="submit" class="primary">"Create team"</button>
        </ActionForm>
        <FormError error=member_error />
        {teams
            .into_iter()
            .map(|t| view! { <TeamCard team=t operators=operators.clone() action=actions.member /> })
            .collect_view()}

        <h2>"Operators"</h2>
        <FormError error=capacity_error />
        <FieldError error=capacity_error field="capacity" id="capacity-error" />
        <Table class="operators" headers=&["Name", "Status", "Chats held", "Capacity"]>
            {operators
                .into_iter()
                .map(|o| view! { <OperatorRow operator=o action=actions.capacity /> })
                .collect_view()}
        </Table>
    }
}

/// One queue as an editable row, or (None) the row that creates one.
#[component]
fn QueueRow(
    queue: Option<QueueView>,
    teams: Vec<(String, String)>,
    action: ServerAction<SaveQueue>,
) -> impl IntoView {
    let creating = queue.is_none();
    let (id, name, team, routing, timeout) = match &queue {
        Some(q) => (
            Some(q.id.to_string()),
            q.name.clone(),
            q.team.map(|t| t.to_string()).unwrap_or_default(),
            q.routing,
            q.timeout_minutes,
        ),
        None => (None, String::new(), String::new(), Routing::All, 120),
    };
    let label = if creating {
        "New queue".to_owned()
    } else {
        name.clone()
    };
    let form_id = format!("queue-form-{}", id.clone().unwrap_or_else(|| "new".into()));
    let is_default = queue.as_ref().is_some_and(|q| q.is_default);
    view! {
        <tr>
            <td>
                <ActionForm action attr:id=form_id.clone() attr:aria-label=format!("Queue {label}")>
                    {id.map(|id| view! { <input type="hidden" name="queue_id" value=id /> })}
                </ActionForm>
                <input
                    form=form_id.clone()
                    name="name"
                    value=name
                    placeholder="Queue name"
                    aria-label=format!("Name of {label}")
                    required=true
                />
            </td>
            <td>
                <select form=form_id.clone() name="team_id" aria-label=format!("Team of {label}")>
                    <option value="" selected=team.is_empty()>"Every employee"</option>
                    {teams
                        .into_iter()
                        .map(|(value, text)| {
                            let selected = value == team;
                            view! { <option value=value selected=selected>{text}</option> }
                        })
                        .collect_view()}
                </select>
            </td>
            <td>
                <select form=form_id.clone() name="routing" aria-label=format!("Routing of {label}")>
                    {Routing::ALL
                        .into_iter()
                        .map(|r| view! { <option value=r.as_str() selected=r == routing>{r.label()}</option> })
                        .collect_view()}
                </select>
            </td>
            <td>
                <input
                    form=form_id.clone()
                    type="number"
                    name="timeout_minutes"
                    min=*TIMEOUT_MINUTES.start()
                    max=*TIMEOUT_MINUTES.end()
                    value=timeout
                    aria-label=format!("Chat timeout of {label}")
                />
            </td>
            <td>
                <input
                    form=form_id.clone()
                    type="checkbox"
                    name="make_default"
                    value="true"
                    checked=is_default
                    disabled=is_default
                    aria-label=format!("Default: {label}")
                />
            </td>
            <td>
                <button type="submit" form=form_id class=if creating { "primary" } else { "ghost" }>
                    {if creating { "Create queue" } else { "Save" }}
                </button>
            </td>
        </tr>
    }
}

/// A team with its members, a remove button each, and a picker to add an employee.
#[component]
fn TeamCard(
    team: TeamView,
    operators: Vec<OperatorView>,
    action: ServerAction<SetTeamMember>,
) -> impl IntoView {
    let team_id = team.id;
    let outsiders: Vec<OperatorView> = operators
        .into_iter()
        .filter(|o| !team.members.iter().any(|m| m.id == o.id))
        .collect();
    let name = team.name;
    let members = team
        .members
        .into_iter()
        .map(|m| {
            let aria = format!("Remove {} from {name}", m.name);
            view! {
                <li>
                    {m.name}
                    <ActionForm action attr:class="inline">
                        <input type="hidden" name="team_id" value=team_id.to_string() />
                        <input type="hidden" name="user_id" value=m.id.to_string() />
                        <input type="hidden" name="member" value="false" />
                        <button type="submit" class="ghost" aria-label=aria>"Remove"</button>
                    </ActionForm>
                </li>
            }
        })
        .collect_view();
    let (add_label, pick_label) = (
        format!("Add to {name}"),
        format!("Employee to add to {name}"),
    );
    let add = (!outsiders.is_empty()).then(move || {
        view! {
            <ActionForm action attr:class="inline-form" attr:aria-label=add_label>
                <input type="hidden" name="team_id" value=team_id.to_string() />
                <input type="hidden" name="member" value="true" />
                <select name="user_id" aria-label=pick_label>
                    {outsiders
                        .into_iter()
                        .map(|o| view! { <option value=o.id.to_string()>{o.name}</option> })
                        .collect_view()}
                </select>
                <button type="submit" class="ghost">"Add"</button>
            </ActionForm>
        }
    });
    view! {
        <section class="team-card" aria-label=format!("Team {name}")>
            <h3>{name.clone()}</h3>
            <ul class="members">{members}</ul>
            {add}
        </section>
    }
}

#[component]
fn OperatorRow(operator: OperatorView, action: ServerAction<SetCapacity>) -> impl IntoView {
    let status = if operator.gone {
        "Available (not seen lately)".to_owned()
    } else {
        operator.status.label().to_owned()
    };
    let aria = format!("Capacity of {}", operator.name);
    view! {
        <tr>
            <td>{operator.name.clone()}</td>
            <td>{status}</td>
            <td>{operator.open_sessions}</td>
            <td>
                <ActionForm action attr:class="inline-form">
                    <input type="hidden" name="user_id" value=operator.id.to_string() />
                    <input type="number" name="capacity" min=1 max=MAX_CAPACITY value=operator.capacity aria-label=aria />
                    <button type="submit" class="ghost">"Set"</button>
                </ActionForm>
            </td>
        </tr>
    }
}
