//! A file as a message or the deal's list shows it: name, size and a download link.

use crate::model::chat::FileRef;
use crate::model::file_size::file_size;
use leptos::prelude::*;

#[component]
pub fn FileChip(file: FileRef) -> impl IntoView {
    let href = file.download_url();
    let size = file_size(file.size);
    let label = format!("Download {}", file.name);
    let name = file.name;
    let download = name.clone();
    view! {
        <span class="file-chip">
            <a class="file-name" href=href download=download aria-label=label>
                {name}
            </a>
            <span class="file-size">{size}</span>
        </span>
    }
}
