//! The deal's stage as a row of steps (done, current, upcoming). Staff who may move the deal
//! click a step; everyone else sees the same steps as plain text.

use crate::model::DealStage;
use leptos::prelude::*;

#[component]
pub fn DealStepper(
    #[prop(into)] stage: Signal<DealStage>,
    /// Moves the deal; None renders the stepper read-only.
    on_change: Option<Callback<DealStage>>,
    /// A change is on its way: the steps wait for it.
    #[prop(into, optional)]
    busy: Signal<bool>,
) -> impl IntoView {
    let steps = DealStage::ALL.map(|step| {
        let state = move || match step.index().cmp(&stage.get().index()) {
            std::cmp::Ordering::Less => "step done",
            std::cmp::Ordering::Equal => "step current",
            std::cmp::Ordering::Greater => "step upcoming",
        };
        let current = move || (stage.get() == step).then_some("step");
        let label = step.label();
        let inner = match on_change {
            Some(change) => view! {
                <button
                    type="button"
                    aria-current=current
                    disabled=move || busy.get()
                    on:click=move |_| {
                        if stage.get_untracked() != step {
                            change.run(step);
                        }
                    }
                >
                    {label}
                </button>
            }
            .into_any(),
            None => view! { <span aria-current=current>{label}</span> }.into_any(),
        };
        view! { <li class=state>{inner}</li> }
    });
    view! {
        <ol class="stepper" aria-label="Deal stage">
            {steps.into_iter().collect_view()}
        </ol>
    }
    .into_any()
}
