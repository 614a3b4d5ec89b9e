//! The CRM page's *Beside the chat*: which fields of the client's lead, contact and account
//! staff see in the panel beside a chat (none picked: the fields the rules write).

use crate::api::crm::SavePanelFields;
use crate::model::crm_rules::{CrmFieldView, CrmModule, PanelFields};
use crate::ui::forms::form_errors::{FormError, last_error};
use leptos::prelude::*;

#[component]
pub fn PanelFieldsForm(
    fields: Vec<(CrmModule, Vec<CrmFieldView>)>,
    panel: PanelFields,
) -> impl IntoView {
    let panel = RwSignal::new(panel);
    let save = ServerAction::<SavePanelFields>::new();
    let error = last_error(save.value());
    let saved = move || matches!(save.value().get(), Some(Ok(())));
    let modules = PanelFields::MODULES
        .into_iter()
        .map(|module| {
            let list = fields
                .iter()
                .find(|(m, _)| *m == module)
                .map(|(_, f)| f.clone())
                .unwrap_or_default();
            let boxes = list
                .into_iter()
                .map(|f| {
                    let api = f.api_name.clone();
                    let checked = {
                        let api = api.clone();
                        move || panel.with(|p| p.of(module).contains(&api))
                    };
                    view! {
                        <label class="check">
                            <input
                                type="checkbox"
                                prop:checked=checked
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    panel.update(|p| p.toggle(module, &api, on));
                                }
                            />
                            {f.label}
                        </label>
                    }
                })
                .collect_view();
            view! {
                <fieldset>
                    <legend>{format!("{} fields", module.singular())}</legend>
                    {boxes}
                </fieldset>
            }
        })
        .collect_view();
    view! {
        <section class="panel-fields" aria-labelledby="panel-fields-title">
            <h2 id="panel-fields-title">"Beside the chat"</h2>
            <p class="hint">
                "The fields of the client's lead, contact and account that staff see beside a chat. None picked: the fields the rules write (an account's name, phone and website)."
            </p>
            {modules}
            <button
                type="button"
                disabled=move || save.pending().get()
                on:click=move |_| {
                    let json = panel.with(|p| leptos::serde_json::to_string(p).unwrap_or_default());
                    save.dispatch(SavePanelFields { panel: json });
                }
            >
                "Save fields"
            </button>
            <FormError error />
            <Show when=saved>
                <p role="status">"Fields saved."</p>
            </Show>
        </section>
    }
}
