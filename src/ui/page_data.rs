//! Data a page reads from the server: rendered with the page on the server, sent along in it, and
//! read back by the browser instead of being fetched again.
//!
//! Leptos's own `Resource::new` reads that copy with `serde_json`. [`Json`] reads it the way every
//! server-function answer is read (`model::wire`): with the browser's JSON parser, so the bundle
//! holds no JSON reader of its own.
//!
//! On the server, a page's data is loaded once per request ([`RequestPageData`]): Leptos renders
//! a `Suspense`'s children up to three times to find what they wait for, and every pass would
//! otherwise create the page's resources again, each loaded from the database and sent along in
//! the page.

use crate::model::wire::{self, WireError};
use codee::{Decoder, Encoder};
use leptos::prelude::*;
use serde::{Serialize, de::DeserializeOwned};

/// JSON, read like server-function answers.
pub struct Json;

impl<T: Serialize> Encoder<T> for Json {
    type Error = WireError;
    type Encoded = String;

    fn encode(value: &T) -> Result<String, WireError> {
        wire::write(value)
    }
}

impl<T: DeserializeOwned> Decoder<T> for Json {
    type Error = WireError;
    type Encoded = str;

    fn decode(text: &str) -> Result<T, WireError> {
        wire::read(text)
    }
}

/// A page's server data (a `Resource` read with [`Json`]).
pub type PageData<T> = Resource<T, Json>;

/// `Resource::new`, with the page's copy read like the server functions' answers.
///
/// On the server, a second call from the same place with an equal source value in one request
/// returns the first call's resource. So one place must not make several resources of a page
/// with equal sources, e.g. one per row of a list: the browser would make them all.
#[track_caller]
pub fn page_data<T, S, Fut>(
    source: impl Fn() -> S + Send + Sync + 'static,
    fetcher: impl Fn(S) -> Fut + Send + Sync + 'static,
) -> PageData<T>
where
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
    S: Send + Sync + Clone + PartialEq + 'static,
    Fut: Future<Output = T> + Send + 'static,
{
    #[cfg(feature = "ssr")]
    if let Some(request) = use_context::<RequestPageData>() {
        let key = untrack(&source);
        return request.once(std::panic::Location::caller(), key, || {
            Resource::new_with_options(source, fetcher, false)
        });
    }
    Resource::new_with_options(source, fetcher, false)
}

/// The page data one server request has made, by the place that made it and its source value.
#[cfg(feature = "ssr")]
#[derive(Clone)]
pub struct RequestPageData {
    /// The app's owner: a resource outlives the render pass that made it.
    owner: Owner,
    made: std::sync::Arc<std::sync::Mutex<Vec<Made>>>,
}

#[cfg(feature = "ssr")]
struct Made {
    at: &'static std::panic::Location<'static>,
    source: Box<dyn std::any::Any + Send + Sync>,
    data: Box<dyn std::any::Any + Send + Sync>,
}

#[cfg(feature = "ssr")]
impl RequestPageData {
    /// Makes page data once per request from here on (the app calls it as it starts a page).
    pub fn provide() {
        provide_context(Self {
            owner: Owner::current().unwrap_or_default(),
            made: Default::default(),
        });
    }

    /// The page data made earlier at `at` from an equal `key`, or else what `make` makes (owned
    /// by the app, not by the render pass).
    fn once<T, S>(
        &self,
        at: &'static std::panic::Location<'static>,
        key: S,
        make: impl FnOnce() -> PageData<T>,
    ) -> PageData<T>
    where
        T: Send + Sync + 'static,
        S: PartialEq + Send + Sync + 'static,
    {
        let mut made = self.made.lock().unwrap_or_else(|e| e.into_inner());
        let earlier = made.iter().find_map(|m| {
            (m.at == at && m.source.downcast_ref::<S>() == Some(&key))
                .then(|| m.data.downcast_ref::<PageData<T>>().copied())
                .flatten()
        });
        if let Some(data) = earlier {
            return data;
        }
        let data = self.owner.with(make);
        made.push(Made {
            at,
            source: Box::new(key),
            data: Box::new(data),
        });
        data
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AppError;

    #[test]
    fn what_the_server_encodes_the_browser_decodes() {
        let value: Result<Vec<String>, AppError> = Ok(vec!["a \"quoted\" é".to_owned()]);
        let text = <Json as Encoder<_>>::encode(&value).expect("encodes");
        let back: Result<Vec<String>, AppError> =
            <Json as Decoder<_>>::decode(&text).expect("decodes");
        assert_eq!(back, value);
        let error: Result<Vec<String>, AppError> = Err(AppError::NotFound);
        let text = <Json as Encoder<_>>::encode(&error).expect("encodes");
        assert!(matches!(
            <Json as Decoder<Result<Vec<String>, AppError>>>::decode(&text),
            Ok(Err(AppError::NotFound))
        ));
        assert!(<Json as Decoder<Vec<String>>>::decode("{not json").is_err());
    }
}
