//! The message box under a chat: Enter sends, Shift+Enter starts a new line. For staff it also
//! takes files (the picker, a drop onto the box, or a pasted image); with files attached, Send
//! shares them with the text as their message (`#q` in it asks the client to decide). The
//! chat's operator inserts quick replies: `/` in an empty box or the button opens the picker.

use crate::model::ids::ConversationId;
use crate::model::quick_replies::insert_at;
use crate::ui::files::upload_progress::file_list;
use crate::ui::quick_replies::picker::quick_reply_picker;
use leptos::ev::KeyboardEvent;
use leptos::html::Textarea;
use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;
use send_wrapper::SendWrapper;

/// Files waiting to be shared with the next Send.
///
/// A browser `File` is not `Send`, so each one is wrapped: the signal itself lives in ordinary
/// (thread-safe) storage. The chat page is rendered on the server too, where the list stays empty;
/// a `LocalStorage` signal made there was dropped on another worker thread when the response
/// stream ended, and that drop panicked (one chat-page load in six failed).
pub type Attachments = RwSignal<Vec<SendWrapper<web_sys::File>>>;

#[component]
pub fn Composer(
    on_send: Callback<String>,
    /// Told on every change of a non-empty text (the window announces typing from it).
    #[prop(optional)]
    on_typing: Option<Callback<()>>,
    /// Present for staff: the files attached so far, and what shares them with the text.
    #[prop(optional)]
    sharing: Option<(Attachments, Callback<String>)>,
    /// Present for the chat's operator: the chat whose quick replies they may insert.
    #[prop(optional)]
    quick_replies: Option<ConversationId>,
) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let picking = RwSignal::new(false);
    let box_ref = NodeRef::<Textarea>::new();
    // Where the reply goes: the cursor when the picker opened (UTF-16 units, as the browser
    // counts).
    let cursor = StoredValue::new(0usize);
    let open_picker = move || {
        let at = box_ref
            .get_untracked()
            .and_then(|t| t.selection_start().ok().flatten())
            .unwrap_or(0);
        cursor.set_value(at as usize);
        picking.set(true);
    };
    let insert = Callback::new(move |reply: String| {
        let (joined, _) = text.with_untracked(|t| insert_at(t, cursor.get_value(), &reply));
        text.set(joined);
        picking.set(false);
        if let Some(area) = box_ref.get_untracked() {
            let _ = area.focus();
        }
    });
    let send = move || {
        let body = text.get_untracked();
        if let Some((files, on_share)) = sharing
            && files.with_untracked(|f| !f.is_empty())
        {
            on_share.run(body);
            text.set(String::new());
            return;
        }
        // The server refuses blank messages too; this saves the round trip.
        if body.trim().is_empty() {
            return;
        }
        on_send.run(body);
        text.set(String::new());
    };
    let on_keydown = move |ev: KeyboardEvent| {
        if quick_replies.is_some() && ev.key() == "/" && text.with_untracked(String::is_empty) {
            ev.prevent_default();
            open_picker();
            return;
        }
        // While an input method is composing, Enter confirms the composition.
        if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
            ev.prevent_default();
            send();
        }
    };
    let attach = move |more: Vec<web_sys::File>| {
        if let Some((files, _)) = sharing
            && !more.is_empty()
        {
            files.update(|f| f.extend(more.into_iter().map(SendWrapper::new)));
        }
    };
    let on_pick = move |ev: leptos::ev::Event| {
        if let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        {
            attach(file_list(input.files()));
            input.set_value("");
        }
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        if sharing.is_some() {
            ev.prevent_default();
            attach(file_list(ev.data_transfer().and_then(|d| d.files())));
        }
    };
    let on_paste = move |ev: leptos::ev::ClipboardEvent| {
        let pasted = file_list(ev.clipboard_data().and_then(|d| d.files()));
        if sharing.is_some() && !pasted.is_empty() {
            ev.prevent_default();
            attach(pasted);
        }
    };
    let attached = move || {
        sharing.map(|(files, _)| {
            view! {
                <Show when=move || files.with(|f| !f.is_empty())>
                    <ul class="attachments" aria-label="Files to share">
                        {move || {
                            files
                                .with(|f| f.iter().map(|file| file.name()).collect::<Vec<_>>())
                                .into_iter()
                                .enumerate()
                                .map(|(i, name)| {
                                    let label = format!("Remove {name}");
                                    view! {
                                        <li class="attachment">
                                            <span class="file-name">{name}</span>
                                            <button
                                                type="button"
                                                class="ghost"
                                                aria-label=label
                                                on:click=move |_| {
                                                    files.update(|f| {
                                                        if i < f.len() {
                                                            f.remove(i);
                                                        }
                                                    })
                                                }
                                            >
                                                "×"
                                            </button>
                                        </li>
                                    }
                                })
                                .collect_view()
                        }}
                    </ul>
                    <p class="hint">"Write #q in the message to ask the client to accept or reject."</p>
                </Show>
            }
        })
    };
    view! {
        <form
            class="composer"
            aria-label="Send a message"
            on:submit=move |ev| {
                ev.prevent_default();
                send();
            }
            on:dragover=move |ev: leptos::ev::DragEvent| {
                if sharing.is_some() {
                    ev.prevent_default();
                }
            }
            on:drop=on_drop
        >
            {attached}
            {quick_replies.map(|conversation_id| {
                view! {
                    <Show when=move || picking.get()>
                        <Suspense>
                            {move || Suspend::new(quick_reply_picker(conversation_id, picking, insert))}
                        </Suspense>
                    </Show>
                }
            })}
            <div class="composer-row">
                <label for="composer-text" class="sr-only">"Message"</label>
                <textarea
                    node_ref=box_ref
                    id="composer-text"
                    rows="2"
                    placeholder="Write a message (Enter sends, Shift+Enter for a new line)"
                    prop:value=move || text.get()
                    on:input=move |ev| {
                        let value = event_target_value(&ev);
                        if let Some(typing) = on_typing
                            && !value.trim().is_empty()
                        {
                            typing.run(());
                        }
                        text.set(value);
                    }
                    on:keydown=on_keydown
                    on:paste=on_paste
                ></textarea>
                {quick_replies.map(|_| {
                    view! {
                        <button
                            type="button"
                            class="ghost"
                            title="Insert a quick reply (or type / in an empty message)"
                            on:click=move |_| open_picker()
                        >
                            "Quick replies"
                        </button>
                    }
                })}
                {sharing.map(|_| {
                    view! {
                        <label class="ghost attach" title="Share files">
                            "Attach"
                            <input
                                type="file"
                                multiple
                                class="sr-only"
                                aria-label="Attach files to share"
                                on:change=on_pick
                            />
                        </label>
                    }
                })}
                <button type="submit" class="primary send">"Send"</button>
            </div>
        </form>
    }
    .into_any()
}
