//! A handle on the local Zoho fake, `tests/fakes/zoho_fake.py`.
//!
//! Zoho cannot be reached from the test machines, so the Zoho adapters talk to this fake, which
//! answers in Zoho's documented wire formats (see the docstring at the top of the script and
//! `/work/shared/docs/zoho-wire.md`). It is a separate Python process (standard library only) so
//! the very same fake backs these tests and manual runs. One base URL plays every Zoho host:
//! accounts server, CRM/WorkDrive API domain, WorkDrive upload and download servers.
//!
//! The `/_fake/...` control API used below lets a test configure failures, look at every request
//! the product sent (so a test asserts what was sent, not only what came back) and play the part
//! of a person working in Zoho's own UI.
// Each test uses only some of these helpers.
#![allow(dead_code)]

use reqwest::{StatusCode, Url};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Command, Stdio};

/// The OAuth client the fake knows; give the product these as its Zoho client credentials.
pub const CLIENT_ID: &str = "1000.FAKECLIENT0001";
pub const CLIENT_SECRET: &str = "fake-client-secret";

pub struct ZohoFake {
    /// `http://127.0.0.1:<port>`: use it for every Zoho base URL the product has.
    pub base: String,
    child: Child,
    /// Kept open so the fake never writes into a closed pipe.
    _stdout: BufReader<ChildStdout>,
    /// The fake's state (attachments, WorkDrive files); removed when the handle drops.
    _dir: tempfile::TempDir,
    http: reqwest::Client,
}

impl Drop for ZohoFake {
    /// A killed fake cannot clean up, but its state dir is ours and goes with `_dir`.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ZohoFake {
    /// Starts a fresh fake on a free port and waits for its `LISTENING <base>` line.
    pub async fn start() -> ZohoFake {
        let dir = tempfile::tempdir().unwrap();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fakes/zoho_fake.py");
        let mut child = Command::new("python3")
            .arg(script)
            .args([
                "--port",
                "0",
                "--client-id",
                CLIENT_ID,
                "--client-secret",
                CLIENT_SECRET,
            ])
            .arg("--state-dir")
            .arg(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 is needed to run the Zoho fake");
        let stdout = child.stdout.take().unwrap();
        // Reading the pipe blocks, so it happens off the runtime's worker threads.
        let read = tokio::task::spawn_blocking(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            loop {
                line.clear();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    return Err(());
                }
                if let Some(base) = line.trim().strip_prefix("LISTENING ") {
                    return Ok((base.to_string(), reader));
                }
            }
        })
        .await
        .unwrap();
        let Ok((base, stdout)) = read else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the Zoho fake exited before listening (see its stderr above)");
        };
        // Tests look at redirects themselves (the consent answer is one).
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        ZohoFake {
            base,
            child,
            _stdout: stdout,
            _dir: dir,
            http,
        }
    }

    fn url(&self, path: &str) -> String {
        let base = &self.base;
        format!("{base}/_fake/{path}")
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self.http.request(method, self.url(path));
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        let value: Value = res.json().await.unwrap_or(Value::Null);
        assert!(
            status.is_success(),
            "Zoho fake control call {path} answered {status}: {value}"
        );
        value
    }

    fn list(value: Value) -> Vec<Value> {
        match value {
            Value::Array(items) => items,
            _ => Vec::new(),
        }
    }

    /// Merges settings (token_lifetime_secs, index_lag_secs, rate_limit_next, fail_next, ...).
    pub async fn config(&self, v: Value) {
        self.call(reqwest::Method::POST, "config", Some(v)).await;
    }

    /// Every request the fake received outside `/_fake/`, oldest first.
    pub async fn requests(&self) -> Vec<Value> {
        Self::list(self.call(reqwest::Method::GET, "requests", None).await)
    }

    pub async fn clear_requests(&self) {
        self.call(reqwest::Method::DELETE, "requests", None).await;
    }

    /// Tokens issued, revoked refresh tokens, `max_concurrent_crm`, upload sessions, ...
    pub async fn state(&self) -> Value {
        self.call(reqwest::Method::GET, "state", None).await
    }

    /// Adds an active CRM user (the admin `zoho.admin@example.com` exists from the start).
    pub async fn add_user(&self, email: &str, full_name: &str) -> Value {
        let user = json!({ "email": email, "full_name": full_name });
        self.call(reqwest::Method::POST, "users", Some(user)).await
    }

    /// Puts a record straight into a CRM module (no validation); answers it with its `id`.
    pub async fn seed(&self, module: &str, fields: Value) -> Value {
        self.call(
            reqwest::Method::POST,
            &format!("records/{module}"),
            Some(fields),
        )
        .await
    }

    /// All records of a module, each with its `attachments` and `notes`.
    pub async fn records(&self, module: &str) -> Vec<Value> {
        Self::list(
            self.call(reqwest::Method::GET, &format!("records/{module}"), None)
                .await,
        )
    }

    /// Changes a record as someone editing in Zoho's UI would ("Zoho Editor", new Modified_Time).
    /// Replaces a pick list, as an admin customising the organisation in Zoho would.
    pub async fn set_pick_list(&self, module: &str, field: &str, values: &[&str]) {
        self.call(
            reqwest::Method::PUT,
            &format!("fields/{module}/{field}"),
            Some(json!({ "pick_list_values": values })),
        )
        .await;
    }

    pub async fn edit(&self, module: &str, id: &str, fields: Value) {
        self.call(
            reqwest::Method::PATCH,
            &format!("records/{module}/{id}"),
            Some(fields),
        )
        .await;
    }

    /// Revokes every refresh token, as if the user removed the app in Zoho.
    pub async fn revoke_all(&self) {
        self.call(reqwest::Method::POST, "revoke_all", None).await;
    }

    /// Makes every access token expired now, so the product's refresh path runs.
    pub async fn expire_tokens(&self) {
        self.call(reqwest::Method::POST, "expire_tokens", None)
            .await;
    }

    /// Every WorkDrive file and folder: `{id, name, parent_id, is_folder, size, sha256, status}`.
    pub async fn workdrive_files(&self) -> Vec<Value> {
        Self::list(
            self.call(reqwest::Method::GET, "workdrive/files", None)
                .await,
        )
    }

    /// The id of the WorkDrive team folder that exists from the start.
    pub async fn team_folder(&self) -> String {
        let v = self
            .call(reqwest::Method::GET, "workdrive/teamfolder", None)
            .await;
        v["id"].as_str().unwrap().to_string()
    }

    /// Plays the user on Zoho's consent page: opens the product's consent URL, submits the form
    /// with its query params plus `decision=accept`, and returns the `Location` it was sent to
    /// (the product's callback URL carrying `code` and `state`).
    pub async fn approve(&self, consent_url: &str) -> String {
        let url = Url::parse(consent_url).expect("the consent URL is absolute");
        let page = self.http.get(url.clone()).send().await.unwrap();
        let status = page.status();
        let text = page.text().await.unwrap_or_default();
        assert_eq!(
            status,
            StatusCode::OK,
            "consent page answered {status}: {text}"
        );
        let mut form: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        form.push(("decision".into(), "accept".into()));
        let res = self
            .http
            .post(url.join("/oauth/v2/auth/approve").unwrap())
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::FOUND,
            "approving the consent did not redirect"
        );
        res.headers()["location"].to_str().unwrap().to_string()
    }
}
