//! Sends a file to the server's resumable upload endpoint (tus 1.0) from the browser: chunks of
//! 8 MiB, each with its SHA-256 in `Upload-Checksum`, progress from the request's upload
//! events, and after a dropped connection or a server error it asks where the upload stands
//! and resumes from there. The decisions are in `state::upload_plan`.

use crate::model::ids::ConversationId;
use std::rc::Rc;

/// Where a file goes.
#[derive(Clone, Debug)]
pub struct Target {
    pub conversation_id: ConversationId,
    /// `folder` (the deal's files) or `share` (a message in the chat).
    pub purpose: &'static str,
    /// A share's message text.
    pub note: Option<String>,
}

/// Called with the bytes sent so far.
pub type Progress = Rc<dyn Fn(f64)>;

/// Uploads the file; the stored file's id, or why it failed. A chunk of its own (with the tus
/// client, hashing and the XHR plumbing), loaded the first time someone uploads.
#[cfg(feature = "hydrate")]
#[leptos::prelude::lazy]
pub async fn upload(
    file: web_sys::File,
    target: Target,
    progress: Progress,
) -> Result<crate::model::ids::FileId, String> {
    use crate::ui::files::upload_plan::{self, Next};
    let size = file.size();
    let conversation_id = target.conversation_id.to_string();
    let name = file.name();
    let content_type = file.type_();
    let mut meta = vec![
        ("conversation_id", conversation_id.as_str()),
        ("purpose", target.purpose),
        ("filename", name.as_str()),
        ("filetype", content_type.as_str()),
    ];
    if let Some(note) = target.note.as_deref() {
        meta.push(("note", note));
    }
    let created = xhr::send(
        "POST",
        "/files/uploads",
        &[
            ("Upload-Length", format!("{size}")),
            ("Upload-Metadata", upload_plan::metadata(&meta)),
        ],
        None,
        None,
    )
    .await;
    let location = match (created.status, created.location) {
        (201, Some(location)) => location,
        (0, _) => return Err("The server could not be reached.".into()),
        (status, _) => {
            return Err(if created.error.is_empty() {
                format!("The upload was refused (HTTP {status}).")
            } else {
                created.error
            });
        }
    };
    let mut offset = 0.0;
    let mut attempts = 0;
    loop {
        let end = upload_plan::chunk_end(offset, size);
        let chunk = file
            .slice_with_f64_and_f64(offset, end)
            .map_err(|_| "The file could not be read.".to_owned())?;
        let checksum = xhr::sha256_base64(&chunk).await?;
        let base = offset;
        let on_progress: Progress = {
            let progress = progress.clone();
            Rc::new(move |sent| progress(base + sent))
        };
        let answer = xhr::send(
            "PATCH",
            &location,
            &[
                ("Content-Type", "application/offset+octet-stream".into()),
                ("Upload-Offset", format!("{offset}")),
                ("Upload-Checksum", format!("sha256 {checksum}")),
            ],
            Some(&chunk),
            Some(on_progress),
        )
        .await;
        match upload_plan::after_chunk(answer.status, answer.offset, &answer.error) {
            Next::Continue(at) => {
                attempts = 0;
                offset = at;
                progress(offset);
                if offset >= size {
                    return answer
                        .file_id
                        .ok_or_else(|| "The server did not confirm the file.".to_owned());
                }
            }
            Next::Stop(reason) => return Err(reason),
            retry @ (Next::Resync | Next::Resend) => {
                attempts += 1;
                if attempts >= upload_plan::MAX_ATTEMPTS {
                    return Err(
                        "The upload keeps failing; check the connection and try again.".into(),
                    );
                }
                crate::ui::browser::sleep_ms(upload_plan::retry_delay_ms(attempts)).await;
                if retry == Next::Resync {
                    let head = xhr::send("HEAD", &location, &[], None, None).await;
                    match (head.status, head.offset) {
                        (200, Some(at)) => {
                            offset = at;
                            if let (true, Some(id)) = (offset >= size, head.file_id) {
                                return Ok(id);
                            }
                        }
                        // 423: another request is still writing it; ask again later.
                        (0 | 423 | 500..=599, _) => {}
                        (404, _) => return Err("The upload expired; start it again.".into()),
                        (status, _) => return Err(format!("The upload failed (HTTP {status}).")),
                    }
                }
            }
        }
    }
}

#[cfg(not(feature = "hydrate"))]
pub async fn upload(
    _file: web_sys::File,
    _target: Target,
    _progress: Progress,
) -> Result<i64, String> {
    Err("Uploads run in the browser.".into())
}

#[cfg(feature = "hydrate")]
pub(crate) mod xhr {
    use super::Progress;
    use crate::model::AppError;
    use crate::model::ids::FileId;
    use std::cell::RefCell;
    use std::rc::Rc;
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{Blob, ProgressEvent, XmlHttpRequest};

    /// What the uploader reads from an answer; status 0 means no answer (network failure).
    pub struct Answer {
        pub status: u16,
        pub offset: Option<f64>,
        pub location: Option<String>,
        pub file_id: Option<FileId>,
        pub error: String,
    }

    fn no_answer() -> Answer {
        Answer {
            status: 0,
            offset: None,
            location: None,
            file_id: None,
            error: String::new(),
        }
    }

    /// One request through XMLHttpRequest (fetch reports no upload progress).
    pub async fn send(
        method: &str,
        url: &str,
        headers: &[(&str, String)],
        body: Option<&Blob>,
        progress: Option<Progress>,
    ) -> Answer {
        let Ok(req) = XmlHttpRequest::new() else {
            return no_answer();
        };
        if req.open(method, url).is_err() {
            return no_answer();
        }
        let _ = req.set_request_header("Tus-Resumable", "1.0.0");
        for (name, value) in headers {
            let _ = req.set_request_header(name, value);
        }
        let (tx, rx) = futures::channel::oneshot::channel::<()>();
        let tx = Rc::new(RefCell::new(Some(tx)));
        let on_end = Closure::<dyn FnMut()>::new(move || {
            if let Some(tx) = tx.borrow_mut().take() {
                let _ = tx.send(());
            }
        });
        req.set_onloadend(Some(on_end.as_ref().unchecked_ref()));
        let on_progress = progress.map(|progress| {
            Closure::<dyn FnMut(ProgressEvent)>::new(move |e: ProgressEvent| progress(e.loaded()))
        });
        if let (Some(cb), Ok(upload)) = (&on_progress, req.upload()) {
            upload.set_onprogress(Some(cb.as_ref().unchecked_ref()));
        }
        let sent = match body {
            Some(blob) => req.send_with_opt_blob(Some(blob)),
            None => req.send(),
        };
        if sent.is_err() {
            return no_answer();
        }
        let _ = rx.await;
        req.set_onloadend(None);
        if let Ok(upload) = req.upload() {
            upload.set_onprogress(None);
        }
        let header = |name: &str| req.get_response_header(name).ok().flatten();
        let status = req.status().unwrap_or(0);
        let error = if status >= 400 {
            req.response_text()
                .ok()
                .flatten()
                // Read like every other answer (`model::wire`): the browser's JSON parser.
                .and_then(|t| crate::model::wire::read::<AppError>(&t).ok())
                .map(|e| e.to_string())
                .unwrap_or_default()
        } else {
            String::new()
        };
        Answer {
            status,
            offset: header("Upload-Offset").and_then(|v| v.parse().ok()),
            location: header("Location"),
            file_id: header("Dealchat-File-Id").and_then(|v| v.parse().ok()),
            error,
        }
    }

    /// The chunk's SHA-256, base64, computed by the browser's own crypto.
    pub async fn sha256_base64(chunk: &Blob) -> Result<String, String> {
        let unreadable = |_| "The file could not be read.".to_owned();
        let buffer = JsFuture::from(chunk.array_buffer())
            .await
            .map_err(unreadable)?;
        let subtle = web_sys::window()
            .and_then(|w| w.crypto().ok())
            .ok_or("This browser cannot check uploads (no Web Crypto).")?
            .subtle();
        let digest = subtle
            .digest_with_str_and_buffer_source("SHA-256", &buffer.unchecked_into())
            .map_err(unreadable)?;
        let digest = JsFuture::from(digest).await.map_err(unreadable)?;
        let bytes = js_sys::Uint8Array::new(&digest).to_vec();
        Ok(crate::ui::files::upload_plan::base64(&bytes))
    }
}
