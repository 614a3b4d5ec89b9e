//! Message text as plain text with its http(s) links made clickable and the reader's mentions
//! (`@Their Name`) highlighted. Never parsed as HTML.

use crate::model::UserView;
use crate::model::message_text::{Segment, segments_for};
use leptos::prelude::*;

#[component]
pub fn MessageText(body: String) -> impl IntoView {
    let me = use_context::<UserView>()
        .map(|u| u.display_name)
        .unwrap_or_default();
    segments_for(&body, &me)
        .into_iter()
        .map(|segment| match segment {
            Segment::Text(text) => text.to_owned().into_any(),
            Segment::Mention(text) => {
                view! { <mark class="mention" title="Mentions you">{text.to_owned()}</mark> }
                    .into_any()
            }
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
