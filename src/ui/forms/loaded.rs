//! Something read from the server: a line while it loads, then what it is, or its error.

use crate::model::AppError;
use crate::ui::page_data::PageData;
use leptos::prelude::*;
use serde::{Serialize, de::DeserializeOwned};

#[component]
pub fn Loaded<T, F, V>(
    resource: PageData<Result<T, AppError>>,
    loading: &'static str,
    show: F,
) -> impl IntoView
where
    T: Clone + Send + Sync + Serialize + DeserializeOwned + 'static,
    F: Fn(T) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    view! {
        <Transition fallback=move || view! { <p class="loading">{loading}</p> }>
            {move || {
                let show = show.clone();
                Suspend::new(async move {
                    match resource.await {
                        Ok(value) => show(value).into_any(),
                        Err(e) => {
                            view! { <p class="form-error" role="alert">{e.to_string()}</p> }
                                .into_any()
                        }
                    }
                })
            }}
        </Transition>
    }
}
