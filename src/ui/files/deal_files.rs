//! "Deal files" beside the chat: the deal folder's files with download links, and for the
//! deal's client and managers an upload button with a progress bar per file. Without a deal
//! the panel is there but disabled, and says why.

use crate::api::files::deal_files;
use crate::model::AppError;
use crate::model::chat::{DealFileView, DealView};
use crate::model::ids::ConversationId;
use crate::ui::files::file_chip::FileChip;
use crate::ui::files::upload_progress::{UploadProgress, file_list, start_uploads};
use crate::ui::files::uploader::Target;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos::wasm_bindgen::JsCast;

#[component]
pub fn DealFiles(
    conversation_id: ConversationId,
    deal: RwSignal<Option<DealView>>,
    /// Grows whenever the chat shows a new file message: the list reloads.
    file_messages: Signal<usize>,
) -> impl IntoView {
    let has_deal = move || deal.with(Option::is_some);
    let rows = RwSignal::new(Vec::new());
    let reload = RwSignal::new(0u32);
    // Fetched by an effect, not a resource: a resource read here would register with the chat
    // page's <Transition>, which then hydrated against a different state than the server
    // rendered whenever the fetch finished first. Effects run only in the browser, after
    // hydration, so both sides start from "Loading files…".
    let files = RwSignal::new(None::<Result<Vec<DealFileView>, AppError>>);
    let latest = StoredValue::new(0u32);
    Effect::new(move |_| {
        let ready = has_deal();
        file_messages.track();
        reload.track();
        if !ready {
            return;
        }
        let ask = latest.get_value().wrapping_add(1);
        latest.set_value(ask);
        spawn_local(async move {
            let answer = deal_files(conversation_id).await;
            // Only the newest request's answer is shown.
            if latest.try_get_value() == Some(ask) {
                files.try_set(Some(answer));
            }
        });
    });
    let on_pick = move |ev: leptos::ev::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let picked = file_list(input.files());
        input.set_value("");
        start_uploads(
            picked,
            Target {
                conversation_id,
                purpose: "folder",
                note: None,
            },
            rows,
            Callback::new(move |_| reload.update(|n| *n += 1)),
        );
    };
    view! {
        <section class="deal-files panel" aria-labelledby="deal-files-title">
            <h2 id="deal-files-title">"Deal files"</h2>
            <Show
                when=has_deal
                fallback=|| {
                    view! {
                        <p class="hint">"Files can be added once this chat has a deal."</p>
                        <button type="button" class="upload-button" disabled=true>
                            "Upload files"
                        </button>
                    }
                }
            >
                <Show
                    when=move || deal.with(|d| d.as_ref().is_some_and(|d| !d.is_closed()))
                    fallback=|| view! { <p class="hint">"The deal is closed: its files stay here to download."</p> }
                >
                    <label class="upload-button">
                        "Upload files"
                        <input type="file" multiple class="sr-only" on:change=on_pick />
                    </label>
                </Show>
                <UploadProgress rows />
                {move || match files.get() {
                    None => view! { <p class="hint">"Loading files…"</p> }.into_any(),
                    Some(Err(e)) => {
                        view! { <p class="send-error" role="alert">{e.to_string()}</p> }.into_any()
                    }
                    Some(Ok(list)) if list.is_empty() => {
                        view! { <p class="hint">"No files yet."</p> }.into_any()
                    }
                    Some(Ok(list)) => {
                        view! {
                            <ul class="file-list">
                                {list
                                    .into_iter()
                                    .map(|f| {
                                        let by = format!(
                                            "{}{}",
                                            f.uploader_name,
                                            if f.shared_in_chat { " · shared in chat" } else { "" },
                                        );
                                        view! {
                                            <li>
                                                <FileChip file=f.file />
                                                <span class="file-by">{by}</span>
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ul>
                        }
                            .into_any()
                    }
                }}
            </Show>
        </section>
    }
    .into_any()
}
