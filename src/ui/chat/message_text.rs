//! Message text as plain text with its http(s) links made clickable. Never parsed as HTML.

use crate::model::message_text::{Segment, segments};
use leptos::prelude::*;

#[component]
pub fn MessageText(body: String) -> impl IntoView {
    segments(&body)
        .into_iter()
        .map(|segment| match segment {
            Segment::Text(text) => text.to_owned().into_any(),
            Segment::Link(url) => {
                let (href, text) = (url.to_owned(), url.to_owned());
                view! {
                    <a href=href rel="noopener noreferrer" target="_blank">{text}</a>
                }
                .into_any()
            }
        })
        .collect_view()
}
