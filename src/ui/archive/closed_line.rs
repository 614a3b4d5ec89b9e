//! What a closed deal's chat shows instead of its composer: how and when it closed, and its
//! transcript to download (staff may have it made again).

use crate::api::archive::RegenerateTranscript;
use crate::model::chat::DealView;
use crate::model::file_size::file_size;
use crate::model::ids::ConversationId;
use crate::model::local_time::LocalClock;
use crate::ui::forms::form_errors::{FormError, last_error};
use leptos::prelude::*;

#[component]
pub fn ClosedLine(
    conversation_id: ConversationId,
    deal: RwSignal<Option<DealView>>,
    clock: Signal<LocalClock>,
    /// Staff may ask for the transcript again.
    staff: bool,
) -> impl IntoView {
    let regenerate = ServerAction::<RegenerateTranscript>::new();
    let error = last_error(regenerate.value());
    let line = move || {
        let clock = clock.get();
        deal.with(|d| d.as_ref().and_then(|d| d.closed_line(&clock)))
    };
    // The transcript as it stands; a new one arrives with the deal's next change.
    let transcript = move || deal.with(|d| d.as_ref().and_then(|d| d.transcript.clone()));
    // After asking: the transcript it replaces (its digest), until the new one is here.
    let replacing = RwSignal::new(None::<String>);
    let current = move || {
        deal.with(|d| {
            d.as_ref()
                .and_then(|d| d.transcript.as_ref().map(|f| f.sha256.clone()))
        })
    };
    Effect::new(move |_| {
        if let Some(Ok(())) = regenerate.value().get() {
            replacing.set(Some(current().unwrap_or_default()));
        }
    });
    let asked = move || {
        replacing.with(|r| {
            r.as_ref()
                .is_some_and(|old| Some(old) == current().as_ref())
        })
    };
    view! {
        <div class="closed-line">
            <p role="status">{line}</p>
            <p class="transcript">
                {move || match transcript() {
                    Some(file) => {
                        view! {
                            <a href=file.download_url() download=file.name>
                                {format!("Download transcript (PDF, {})", file_size(file.size))}
                            </a>
                        }
                            .into_any()
                    }
                    None => view! { <span>"The transcript is being prepared…"</span> }.into_any(),
                }}
                {staff
                    .then(|| {
                        view! {
                            <ActionForm action=regenerate attr:aria-label="Regenerate transcript" attr:class="inline">
                                <input type="hidden" name="conversation_id" value=conversation_id.to_string() />
                                <button type="submit" class="ghost" disabled=move || regenerate.pending().get() || asked()>
                                    "Regenerate transcript"
                                </button>
                            </ActionForm>
                        }
                    })}
            </p>
            <Show when=asked>
                <p class="hint">"A new transcript is being made; it replaces this one when ready."</p>
            </Show>
            <FormError error=error />
        </div>
    }
}
