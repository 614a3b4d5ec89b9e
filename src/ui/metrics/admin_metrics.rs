//! Admins: operator metrics for a range of days in their own time zone: in total, per queue and
//! per operator the sessions, how many an operator took, the median and 90th percentile of the
//! wait and the first response, the median handle time and the messages; then the newest
//! sessions one by one.

use crate::api::metrics::load_metrics;
use crate::model::metrics::{Figures, FiguresRow, MetricsReport, SESSIONS_SHOWN, duration_label};
use crate::ui::chat::live::LiveChats;
use crate::ui::forms::loaded::Loaded;
use crate::ui::page_data::page_data;
use crate::ui::shell::admins_only::refusal;
use leptos::prelude::*;

crate::lazy_page!(AdminMetricsRoute, AdminMetricsPage);

#[component]
pub fn AdminMetricsPage() -> impl IntoView {
    if let Some(refused) = refusal("Metrics", "Only administrators can see operator metrics.") {
        return refused;
    }
    let live = use_context::<LiveChats>();
    // Days are the admin's calendar days: the offset of their time zone now (UTC while the page
    // hydrates, as the server rendered it).
    let offset = move || {
        live.and_then(|l| l.clock.try_with(|c| c.zone.offset_min_at(c.now_ms)))
            .unwrap_or(0)
    };
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let asked = RwSignal::new((String::new(), String::new()));
    let data = page_data(
        move || (asked.get(), offset()),
        |((from, to), offset_min)| {
            let blank = |s: String| (!s.is_empty()).then_some(s);
            load_metrics(blank(from), blank(to), offset_min)
        },
    );
    let show = move |report: MetricsReport| view! { <MetricsBody report /> };
    view! {
        <section class="panel" aria-labelledby="metrics-title">
            <h1 id="metrics-title">"Metrics"</h1>
            <p class="hint">
                "Operator sessions opened in the range. Wait: from the chat starting to wait until an operator took it. "
                "First response: from the chat starting to wait until the operator's first message. "
                "Handle: from taking it until it closed. p50 is the median, p90 the time 9 in 10 stayed within."
            </p>
            <form
                class="metrics-range"
                aria-label="Range"
                on:submit=move |ev| {
                    ev.prevent_default();
                    asked.set((from.get_untracked(), to.get_untracked()));
                }
            >
                <label>
                    "From"
                    <input
                        type="date"
                        name="from"
                        prop:value=move || from.get()
                        on:input=move |ev| from.set(event_target_value(&ev))
                    />
                </label>
                <label>
                    "To"
                    <input
                        type="date"
                        name="to"
                        prop:value=move || to.get()
                        on:input=move |ev| to.set(event_target_value(&ev))
                    />
                </label>
                <button type="submit" class="primary">"Show"</button>
                <span class="hint">"Blank: the last 7 days."</span>
            </form>
            <Loaded resource=data loading="Loading metrics…" show />
        </section>
    }
    .into_any()
}

#[component]
fn MetricsBody(report: MetricsReport) -> impl IntoView {
    let MetricsReport {
        from,
        to,
        total,
        by_queue,
        by_operator,
        sessions,
    } = report;
    let shown = sessions.len();
    view! {
        <p class="metrics-days">{format!("{from} to {to}")}</p>
        <FiguresTable caption="In total" rows=vec![FiguresRow { label: "All queues".into(), figures: total }] />
        <FiguresTable caption="By queue" rows=by_queue />
        <FiguresTable caption="By operator" rows=by_operator />
        <div class="table-wrap">
            <table class="metrics" aria-label="Sessions">
                <caption>
                    {if shown as u64 >= SESSIONS_SHOWN {
                        format!("The newest {SESSIONS_SHOWN} sessions")
                    } else {
                        "Sessions".to_owned()
                    }}
                </caption>
                <thead>
                    <tr>
                        <th scope="col">"Chat"</th>
                        <th scope="col">"Client"</th>
                        <th scope="col">"Queue"</th>
                        <th scope="col">"Operator"</th>
                        <th scope="col">"Wait"</th>
                        <th scope="col">"First response"</th>
                        <th scope="col">"Handle"</th>
                        <th scope="col">"Messages"</th>
                        <th scope="col">"Closed"</th>
                    </tr>
                </thead>
                <tbody>
                    {sessions
                        .into_iter()
                        .map(|s| {
                            let href = format!("/chats/{}", s.conversation_id);
                            view! {
                                <tr>
                                    <td><a href=href>{s.title}</a></td>
                                    <td>{s.client}</td>
                                    <td>{s.queue.unwrap_or_else(|| "—".into())}</td>
                                    <td>{s.operator.unwrap_or_else(|| "not taken".into())}</td>
                                    <td>{duration_label(s.wait_ms)}</td>
                                    <td>{duration_label(s.first_response_ms)}</td>
                                    <td>{duration_label(s.handle_ms)}</td>
                                    <td>{s.messages}</td>
                                    <td>{s.close_reason.map_or("open", |r| r.label())}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn FiguresTable(caption: &'static str, rows: Vec<FiguresRow>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="metrics" aria-label=caption>
                <caption>{caption}</caption>
                <thead>
                    <tr>
                        <th scope="col">""</th>
                        <th scope="col">"Sessions"</th>
                        <th scope="col">"Taken"</th>
                        <th scope="col">"Wait p50"</th>
                        <th scope="col">"Wait p90"</th>
                        <th scope="col">"First response p50"</th>
                        <th scope="col">"First response p90"</th>
                        <th scope="col">"Handle p50"</th>
                        <th scope="col">"Messages"</th>
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .map(|FiguresRow { label, figures }| {
                            let Figures {
                                sessions,
                                answered,
                                messages,
                                wait_p50_ms,
                                wait_p90_ms,
                                first_response_p50_ms,
                                first_response_p90_ms,
                                handle_p50_ms,
                            } = figures;
                            view! {
                                <tr>
                                    <th scope="row">{label}</th>
                                    <td>{sessions}</td>
                                    <td>{answered}</td>
                                    <td>{duration_label(wait_p50_ms)}</td>
                                    <td>{duration_label(wait_p90_ms)}</td>
                                    <td>{duration_label(first_response_p50_ms)}</td>
                                    <td>{duration_label(first_response_p90_ms)}</td>
                                    <td>{duration_label(handle_p50_ms)}</td>
                                    <td>{messages}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}
