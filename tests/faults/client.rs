//! A user of the server over HTTP: server functions as the browser calls them, the long-poll, the
//! tus upload protocol (chunks written by hand on a socket, so a chunk can be cut mid-way), and
//! Stripe's webhook. Errors are strings: the fault tests count them, they do not inspect them.

use crate::server::{ADMIN_EMAIL, ADMIN_PASSWORD};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use dealchat::model::chat::{MessageView, PollUpdate};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub type Answer<T> = Result<T, String>;

const PASSWORD: &str = "fault-test-password";

#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    /// `name=value` of the session cookie once signed in.
    cookie: String,
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        // Longer than a long-poll (25 s).
        .timeout(Duration::from_secs(40))
        .build()
        .unwrap()
}

impl Client {
    pub fn anonymous(base: &str) -> Client {
        Client {
            http: http(),
            base: base.to_owned(),
            cookie: String::new(),
        }
    }

    /// The same user talking to another instance.
    pub fn at(&self, base: &str) -> Client {
        Client {
            base: base.to_owned(),
            ..self.clone()
        }
    }

    pub async fn login(base: &str, email: &str, password: &str) -> Client {
        let mut c = Client::anonymous(base);
        c.sign_in(
            "auth/login",
            &[("email", email.into()), ("password", password.into())],
        )
        .await;
        c
    }

    pub async fn signup(base: &str, email: &str, name: &str, password: &str) -> Client {
        let mut c = Client::anonymous(base);
        let form = [
            ("email", email.into()),
            ("display_name", name.into()),
            ("password", password.into()),
        ];
        c.sign_in("auth/signup", &form).await;
        c
    }

    async fn sign_in(&mut self, endpoint: &str, form: &[(&str, String)]) {
        let res = self
            .http
            .post(format!("{}/api/{endpoint}", self.base))
            .header("Accept", "application/json")
            .form(form)
            .send()
            .await
            .unwrap();
        let status = res.status();
        let cookie = res
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.contains("session="))
            .and_then(|v| v.split(';').next())
            .map(str::to_owned);
        let body = res.text().await.unwrap_or_default();
        self.cookie = cookie.unwrap_or_else(|| panic!("{endpoint}: {status} {body}"));
    }

    /// A server function: form in, JSON out.
    pub async fn call(&self, endpoint: &str, form: &[(&str, String)]) -> Answer<Value> {
        let res = self
            .http
            .post(format!("{}/api/{endpoint}", self.base))
            .header("Accept", "application/json")
            .header("Cookie", &self.cookie)
            .form(form)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = res.status();
        let text = res.text().await.map_err(|e| e.to_string())?;
        if status.is_success() {
            serde_json::from_str(&text).map_err(|e| format!("{e}: {text}"))
        } else {
            Err(format!("{status}: {text}"))
        }
    }

    pub async fn must(&self, endpoint: &str, form: &[(&str, String)]) -> Value {
        self.call(endpoint, form)
            .await
            .unwrap_or_else(|e| panic!("{endpoint}: {e}"))
    }

    pub async fn send(&self, chat: i64, client_msg_id: &str, body: &str) -> Answer<MessageView> {
        let form = [
            ("conversation_id", chat.to_string()),
            ("client_msg_id", client_msg_id.to_owned()),
            ("body", body.to_owned()),
        ];
        let v = self.call("chats/send", &form).await?;
        serde_json::from_value(v).map_err(|e| e.to_string())
    }

    pub async fn poll(&self, tick: i64, chat: i64, after_seq: i64) -> Answer<PollUpdate> {
        let form = [
            ("tick", tick.to_string()),
            ("after_seq", after_seq.to_string()),
            ("conversation_id", chat.to_string()),
        ];
        let v = self.call("chats/poll", &form).await?;
        serde_json::from_value(v).map_err(|e| e.to_string())
    }

    /// Starts a project chat; returns its id.
    pub async fn start_chat(&self, title: &str) -> i64 {
        let form = [
            ("topic", "project".to_owned()),
            ("title", title.to_owned()),
            ("body", "Hello, about this project".to_owned()),
            ("client_msg_id", uuid::Uuid::new_v4().to_string()),
        ];
        self.must("chats/start", &form).await["id"]
            .as_i64()
            .unwrap()
    }

    /// Creates a tus upload into the chat's deal folder; returns its path.
    pub async fn create_upload(&self, chat: i64, name: &str, len: usize) -> String {
        let meta = [
            ("conversation_id", chat.to_string()),
            ("purpose", "folder".to_owned()),
            ("filename", name.to_owned()),
            ("filetype", "application/zip".to_owned()),
        ]
        .iter()
        .map(|(k, v)| format!("{k} {}", STANDARD.encode(v)))
        .collect::<Vec<_>>()
        .join(",");
        let res = self
            .http
            .post(format!("{}/files/uploads", self.base))
            .header("Cookie", &self.cookie)
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Length", len.to_string())
            .header("Upload-Metadata", meta)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201, "create upload: {:?}", res.text().await);
        res.headers()["location"].to_str().unwrap().to_owned()
    }

    /// The offset the server says an upload stands at (tus `HEAD`).
    pub async fn upload_offset(&self, location: &str) -> Answer<u64> {
        let res = self
            .http
            .head(format!("{}{location}", self.base))
            .header("Cookie", &self.cookie)
            .header("Tus-Resumable", "1.0.0")
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !res.status().is_success() {
            return Err(res.status().to_string());
        }
        res.headers()
            .get("upload-offset")
            .and_then(|v| v.to_str().ok()?.parse().ok())
            .ok_or_else(|| "no Upload-Offset".to_owned())
    }

    /// One tus `PATCH`, its body written in `piece`-sized writes with `pause` between them, so a
    /// kill can land in the middle. Returns the file id when this chunk finished the upload.
    pub async fn patch(
        &self,
        location: &str,
        offset: u64,
        bytes: &[u8],
        checksum: bool,
        pace: Option<(usize, Duration)>,
    ) -> Answer<Option<i64>> {
        let addr = self.base.trim_start_matches("http://");
        let mut sock = tokio::net::TcpStream::connect(addr)
            .await
            .map_err(|e| e.to_string())?;
        let mut head = format!(
            "PATCH {location} HTTP/1.1\r\nHost: {addr}\r\nCookie: {}\r\nTus-Resumable: 1.0.0\r\n\
             Content-Type: application/offset+octet-stream\r\nUpload-Offset: {offset}\r\n\
             Content-Length: {}\r\nConnection: close\r\n",
            self.cookie,
            bytes.len()
        );
        if checksum {
            // Hashing megabytes in this unoptimised test build takes a while: off the runtime's
            // two threads, so the senders and the kill keep their timing.
            let owned = bytes.to_vec();
            let sum = tokio::task::spawn_blocking(move || STANDARD.encode(Sha256::digest(owned)))
                .await
                .unwrap();
            head.push_str(&format!("Upload-Checksum: sha256 {sum}\r\n"));
        }
        head.push_str("\r\n");
        sock.write_all(head.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        let sent = async {
            match pace {
                Some((piece, pause)) => {
                    for part in bytes.chunks(piece) {
                        sock.write_all(part).await?;
                        tokio::time::sleep(pause).await;
                    }
                    Ok(())
                }
                None => sock.write_all(bytes).await,
            }
        }
        .await;
        // A server may answer before it has read the body (423, 409) and close: its answer is
        // read even when the body could not be sent whole.
        let mut answer = Vec::new();
        let read = sock.read_to_end(&mut answer).await;
        if answer.is_empty() {
            sent.map_err(|e| e.to_string())?;
            read.map_err(|e| e.to_string())?;
        }
        let text = String::from_utf8_lossy(&answer);
        let status = text.split(' ').nth(1).unwrap_or("");
        if status != "204" {
            return Err(format!("PATCH answered {:?}", text.lines().next()));
        }
        Ok(text.lines().find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("dealchat-file-id")
                .then(|| value.trim().parse().ok())?
        }))
    }

    /// Delivers a Stripe event as Stripe does (signed with the endpoint's secret); true when
    /// answered 200, which is what stops Stripe from delivering it again.
    pub async fn stripe_webhook(&self, body: &str, signature: &str) -> Answer<bool> {
        let res = self
            .http
            .post(format!("{}/payments/webhooks/stripe", self.base))
            .header("Content-Type", "application/json")
            .header("Stripe-Signature", signature)
            .body(body.to_owned())
            .send()
            .await
            .map_err(|e| e.to_string())?;
        Ok(res.status() == 200)
    }
}

/// A deal chat between a client and the manager who accepted it.
#[derive(Clone)]
pub struct Chat {
    pub id: i64,
    pub client: Client,
    pub manager: Client,
}

/// `n` accepted project chats, shared out between two managers.
pub async fn open_chats(base: &str, n: usize) -> Vec<Chat> {
    let admin = Client::login(base, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let mut managers = Vec::new();
    for m in 0..2 {
        let email = format!("manager{m}@faults.example");
        let form = [
            ("email", email.clone()),
            ("display_name", format!("Manager {m}")),
            ("password", PASSWORD.to_owned()),
            ("role", "manager".to_owned()),
        ];
        admin.must("admin/users/create", &form).await;
        managers.push(Client::login(base, &email, PASSWORD).await);
    }
    let mut chats = Vec::new();
    for i in 0..n {
        let email = format!("client{i}@faults.example");
        let client = Client::signup(base, &email, &format!("Client {i}"), PASSWORD).await;
        let id = client.start_chat(&format!("Project {i}")).await;
        let manager = managers[i % managers.len()].clone();
        manager
            .must("chats/accept", &[("conversation_id", id.to_string())])
            .await;
        chats.push(Chat {
            id,
            client,
            manager,
        });
    }
    chats
}
