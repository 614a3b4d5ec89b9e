//! Files on their way up: name, a progress bar and the percentage, or why it failed.

use crate::model::file_size::percent;
use leptos::prelude::*;

/// One upload as the list shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct UploadRow {
    /// Unique among the rows of one list.
    pub key: u32,
    pub name: String,
    pub size: f64,
    pub sent: f64,
    pub error: Option<String>,
}

impl UploadRow {
    pub fn new(key: u32, name: String, size: f64) -> UploadRow {
        UploadRow {
            key,
            name,
            size,
            sent: 0.0,
            error: None,
        }
    }
}

#[component]
pub fn UploadProgress(rows: RwSignal<Vec<UploadRow>>) -> impl IntoView {
    view! {
        <ul class="upload-progress" aria-live="polite">
            <For
                each=move || rows.get()
                key=|r| (r.key, r.sent.to_bits(), r.error.clone())
                children=move |r| {
                    let pct = percent(r.sent, r.size);
                    let label = format!("Uploading {}", r.name);
                    let failed = r.error.is_some();
                    view! {
                        <li class="upload-row" class:failed=failed>
                            <span class="file-name">{r.name.clone()}</span>
                            {match r.error {
                                Some(reason) => {
                                    view! { <span class="send-error" role="alert">{reason}</span> }
                                        .into_any()
                                }
                                None => {
                                    view! {
                                        <progress max="100" value=pct aria-label=label></progress>
                                        <span class="percent">{format!("{pct} %")}</span>
                                    }
                                        .into_any()
                                }
                            }}
                        </li>
                    }
                }
            />
        </ul>
    }
}

/// Starts uploads for `files` to `target`, each shown in `rows` until it is stored (then
/// dropped from the list and `on_done` runs) or fails (kept, with the reason).
pub fn start_uploads(
    files: Vec<web_sys::File>,
    target: crate::ui::files::uploader::Target,
    rows: RwSignal<Vec<UploadRow>>,
    on_done: Callback<crate::model::ids::FileId>,
) {
    #[cfg(feature = "hydrate")]
    {
        use std::rc::Rc;
        let next_key = rows.with_untracked(|r| r.iter().map(|r| r.key).max().unwrap_or(0)) + 1;
        for (i, file) in files.into_iter().enumerate() {
            let key = next_key + i as u32;
            rows.update(|r| r.push(UploadRow::new(key, file.name(), file.size())));
            let target = target.clone();
            leptos::task::spawn_local(async move {
                let progress: crate::ui::files::uploader::Progress = Rc::new(move |sent| {
                    rows.try_update(|r| {
                        if let Some(row) = r.iter_mut().find(|row| row.key == key) {
                            row.sent = sent;
                        }
                    });
                });
                match crate::ui::files::uploader::upload(file, target, progress).await {
                    Ok(file_id) => {
                        rows.try_update(|r| r.retain(|row| row.key != key));
                        on_done.run(file_id);
                    }
                    Err(reason) => {
                        rows.try_update(|r| {
                            if let Some(row) = r.iter_mut().find(|row| row.key == key) {
                                row.error = Some(reason);
                            }
                        });
                    }
                }
            });
        }
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (files, target, rows, on_done);
    }
}

/// The files of an `<input type=file>`, a drop or a paste.
pub fn file_list(list: Option<web_sys::FileList>) -> Vec<web_sys::File> {
    let Some(list) = list else {
        return Vec::new();
    };
    (0..list.length()).filter_map(|i| list.get(i)).collect()
}
