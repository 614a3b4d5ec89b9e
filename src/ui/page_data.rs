//! Data a page reads from the server: rendered with the page on the server, sent along in it, and
//! read back by the browser instead of being fetched again.
//!
//! Leptos's own `Resource::new` reads that copy with `serde_json::from_str`, while every
//! server-function answer is read with `serde_json::from_slice`. The two readers are separate
//! generic instances of every type's deserializer (ChatSummary's: 5 KB each), so the bundle held two
//! of each. [`Json`] reads the page's copy the way the answers are read, and the bundle holds one.

use codee::{Decoder, Encoder};
use leptos::prelude::*;
use serde::{Serialize, de::DeserializeOwned};

/// JSON, read from bytes like server-function answers.
pub struct Json;

impl<T: Serialize> Encoder<T> for Json {
    type Error = serde_json::Error;
    type Encoded = String;

    fn encode(value: &T) -> Result<String, serde_json::Error> {
        serde_json::to_string(value)
    }
}

impl<T: DeserializeOwned> Decoder<T> for Json {
    type Error = serde_json::Error;
    type Encoded = str;

    fn decode(text: &str) -> Result<T, serde_json::Error> {
        serde_json::from_slice(text.as_bytes())
    }
}

/// A page's server data (a `Resource` read with [`Json`]).
pub type PageData<T> = Resource<T, Json>;

/// `Resource::new`, with the page's copy read like the server functions' answers.
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
    Resource::new_with_options(source, fetcher, false)
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
