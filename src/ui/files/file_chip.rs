//! A file as a message or the deal's list shows it: name, size and a download link; in a message,
//! a picture is shown too (`preview`).

use crate::model::chat::FileRef;
use crate::model::file_size::file_size;
use leptos::prelude::*;

#[component]
pub fn FileChip(
    file: FileRef,
    /// Show a picture above the link when the file is one (`FileRef::previewable`).
    #[prop(optional)]
    preview: bool,
) -> impl IntoView {
    let href = file.download_url();
    let picture = (preview && file.previewable()).then(|| {
        view! {
            <img class="file-preview" src=href.clone() alt=file.name.clone() loading="lazy" />
        }
    });
    let size = file_size(file.size);
    let label = format!("Download {}", file.name);
    let name = file.name;
    let download = name.clone();
    view! {
        {picture}
        <span class="file-chip">
            <a class="file-name" href=href download=download aria-label=label>
                {name}
            </a>
            <span class="file-size">{size}</span>
        </span>
    }
}
