//! JSON on the wire, read in the browser by the browser's own parser.
//!
//! Server-function answers, their errors and a page's data travel as JSON. The server writes them
//! with `serde_json`. The browser parses them with `JSON.parse` and turns the parsed value into Rust
//! values with `serde-wasm-bindgen`. So the bundle carries no JSON parser of its own, and no
//! `serde_json` deserializer instance for each answer type.
//!
//! Server functions answer in it with `#[server(output = Answer)]`; [`read`] reads other answers
//! (an upload's refusal, a page's data) the same way.

use leptos::server_fn::{Bytes, ContentType, Decodes, Encodes, Format, FormatType};
use serde::{Serialize, de::DeserializeOwned};

/// JSON that the browser reads with its own parser: the encoding of every answer and error.
pub struct BrowserJson;

/// The protocol of every server function's answer: a JSON body (`#[server(output = Answer)]`).
pub type Answer = leptos::server_fn::codec::Post<BrowserJson>;

impl ContentType for BrowserJson {
    const CONTENT_TYPE: &'static str = "application/json";
}

impl FormatType for BrowserJson {
    const FORMAT_TYPE: Format = Format::Text;
}

impl<T: Serialize> Encodes<T> for BrowserJson {
    type Error = WireError;

    fn encode(value: &T) -> Result<Bytes, WireError> {
        write(value).map(Bytes::from)
    }
}

impl<T: DeserializeOwned> Decodes<T> for BrowserJson {
    type Error = WireError;

    fn decode(bytes: Bytes) -> Result<T, WireError> {
        let text = std::str::from_utf8(&bytes).map_err(|e| WireError(e.to_string()))?;
        read(text)
    }
}

/// JSON that could not be written or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct WireError(pub String);

/// Writes `value` as JSON.
#[cfg(feature = "ssr")]
pub fn write<T: Serialize>(value: &T) -> Result<String, WireError> {
    serde_json::to_string(value).map_err(|e| WireError(e.to_string()))
}

/// Reads a value from JSON.
#[cfg(feature = "ssr")]
pub fn read<T: DeserializeOwned>(text: &str) -> Result<T, WireError> {
    serde_json::from_str(text).map_err(|e| WireError(e.to_string()))
}

/// Writes `value` as JSON (the browser's `JSON.stringify`).
#[cfg(not(feature = "ssr"))]
pub fn write<T: Serialize>(value: &T) -> Result<String, WireError> {
    let js = value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| WireError(e.to_string()))?;
    js_sys::JSON::stringify(&js)
        .map(String::from)
        .map_err(|_| WireError("not representable as JSON".into()))
}

/// Reads a value from JSON (the browser's `JSON.parse`).
#[cfg(not(feature = "ssr"))]
pub fn read<T: DeserializeOwned>(text: &str) -> Result<T, WireError> {
    let js = js_sys::JSON::parse(text).map_err(|_| WireError("not JSON".into()))?;
    serde_wasm_bindgen::from_value(js).map_err(|e| WireError(e.to_string()))
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    /// A server function left on Leptos's default answer encoding brings `serde_json`'s reader
    /// back into the bundle (10 KiB on the chat page).
    #[test]
    fn every_server_function_answers_in_browser_json() {
        let dir = crate::server::layers::source_root().join("src/api");
        let mut checked = 0;
        for entry in std::fs::read_dir(&dir).expect("src/api") {
            let path = entry.expect("entry").path();
            let text = std::fs::read_to_string(&path).expect("source");
            for attr in text
                .lines()
                .filter(|l| l.trim_start().starts_with("#[server("))
            {
                assert!(
                    attr.contains("output = crate::model::wire::Answer"),
                    "{}: {attr} answers with another encoding",
                    path.display()
                );
                checked += 1;
            }
        }
        assert!(checked > 30, "found only {checked} server functions");
    }

    #[test]
    fn an_answer_is_plain_json_both_ways() {
        let error = crate::model::AppError::invalid("email", "taken");
        let bytes = <BrowserJson as Encodes<_>>::encode(&error).expect("encode");
        let json: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON");
        assert!(json.is_object(), "{json}");
        let back: crate::model::AppError = BrowserJson::decode(bytes).expect("decode");
        assert_eq!(back.for_field("email").as_deref(), Some("taken"));
    }
}
