//! Signed-in pages rendered on the server, loaded again and again: each load must arrive whole.
//! The chat page used to create browser-only state while rendering; dropped on another worker
//! thread when the response stream ended, it panicked and cut one load in six short.

use crate::helpers::{Db, spawn_app};
use crate::on_both_dbs;

/// At one failure in six, 60 loads in a row pass by chance about once in 50,000 runs.
const LOADS: usize = 60;

async fn load_whole(client: &crate::helpers::Client, path: &str, marker: &str) -> Vec<String> {
    let mut failures = Vec::new();
    for i in 0..LOADS {
        let res = client.get(path).await;
        let status = res.status();
        match res.text().await {
            // Leptos appends its resolved-resource scripts after `</html>`; a cut-off body fails to
            // decode (the chunked encoding never ends) and lands in the `Err` arm.
            Ok(body) if status == 200 && body.contains("</html>") => {
                if !body.contains(marker) {
                    failures.push(format!("{path} #{i}: no {marker:?} in the page"));
                }
            }
            Ok(body) => failures.push(format!(
                "{path} #{i}: status {status}, {} bytes, cut off",
                body.len()
            )),
            Err(e) => failures.push(format!("{path} #{i}: body broke off: {e}")),
        }
    }
    failures
}

async fn chat_pages_arrive_whole_every_time(db: Db) {
    let app = spawn_app(db).await;
    let client = app.signed_up_client("pages@example.com").await;
    let id = client
        .start_chat("project", "Page loads", "Rendered on the server.")
        .await;
    let manager = app.manager("pages-manager@example.com", "Pat Pages").await;
    manager.accept(id).await.expect_ok();
    let path = format!("/chats/{id}");

    let mut failures = load_whole(&client, &path, "Rendered on the server.").await;
    // The staff view renders the deal panel and the composer that takes files.
    failures.extend(load_whole(&manager, &path, "Deal amount").await);
    failures.extend(load_whole(&manager, "/", "Operator console").await);
    assert!(
        failures.is_empty(),
        "{} failed loads: {failures:#?}",
        failures.len()
    );
}
on_both_dbs!(chat_pages_arrive_whole_every_time);
