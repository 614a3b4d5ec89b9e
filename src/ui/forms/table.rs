//! A data table with a header row, scrolling sideways on narrow screens.

use leptos::prelude::*;

#[component]
pub fn Table(
    class: &'static str,
    headers: &'static [&'static str],
    children: Children,
) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class=class>
                <thead>
                    <tr>
                        {headers.iter().map(|h| view! { <th scope="col">{*h}</th> }).collect_view()}
                    </tr>
                </thead>
                <tbody>{children()}</tbody>
            </table>
        </div>
    }
}
