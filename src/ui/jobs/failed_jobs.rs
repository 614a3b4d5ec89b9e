//! Admins: the jobs that failed for good (CRM deliveries the CRM refused or that kept failing),
//! with what went wrong, and a button to try each again.

use crate::api::jobs::{RetryJob, failed_jobs};
use crate::model::jobs::FailedJobView;
use crate::ui::forms::form_errors::{FormError, last_error};
use crate::ui::forms::loaded::Loaded;
use crate::ui::forms::table::Table;
use crate::ui::page_data::page_data;
use crate::ui::shell::admins_only::refusal;
use leptos::prelude::*;

crate::lazy_page!(AdminJobsRoute, AdminJobsPage);

#[component]
pub fn AdminJobsPage() -> impl IntoView {
    if let Some(refused) = refusal("Failed jobs", "Only administrators can see failed jobs.") {
        return refused;
    }
    let retry = ServerAction::<RetryJob>::new();
    let retry_error = last_error(retry.value());
    let jobs = page_data(move || retry.version().get(), |_| failed_jobs());
    let show_jobs = move |list: Vec<FailedJobView>| {
        if list.is_empty() {
            view! { <p class="empty">"No failed jobs."</p> }.into_any()
        } else {
            view! { <JobTable list retry /> }.into_any()
        }
    };
    view! {
        <section class="panel" aria-labelledby="jobs-title">
            <h1 id="jobs-title">"Failed jobs"</h1>
            <p>
                "Work that failed for good after its retries, or that the other side refused. "
                "Fix the cause, then try it again."
            </p>
            <FormError error=retry_error />
            <Loaded
                resource=jobs
                loading="Loading failed jobs…"
                show=show_jobs
            />
        </section>
    }
    .into_any()
}

#[component]
fn JobTable(list: Vec<FailedJobView>, retry: ServerAction<RetryJob>) -> impl IntoView {
    view! {
        <Table class="jobs" headers=&["Job", "Target", "Attempts", "Last error", "Failed", "Action"]>
            {list
                .into_iter()
                .map(|j| {
                    let aria = format!("Retry {} for {}", j.job, j.target);
                    view! {
                        <tr>
                            <td>{j.job.clone()}</td>
                            <td>{j.target.clone()}</td>
                            <td>{j.attempts}</td>
                            <td class="job-error">{j.last_error.clone()}</td>
                            <td>{j.failed_at.clone()}</td>
                            <td>
                                <ActionForm action=retry>
                                    <input type="hidden" name="job_id" value=j.id.to_string() />
                                    <button type="submit" class="ghost" aria-label=aria>
                                        "Retry"
                                    </button>
                                </ActionForm>
                            </td>
                        </tr>
                    }
                })
                .collect_view()}
        </Table>
    }
}
