//! What a page for administrators shows anyone else (the server refuses their calls anyway).

use crate::model::{Role, UserView};
use leptos::prelude::*;

/// The refusal to show instead of an admin page, or None for an administrator.
pub fn refusal(title: &'static str, message: &'static str) -> Option<AnyView> {
    let me = expect_context::<UserView>();
    (me.role != Role::Admin).then(|| {
        view! {
            <section class="panel">
                <h1>{title}</h1>
                <p class="form-error" role="alert">{message}</p>
            </section>
        }
        .into_any()
    })
}
