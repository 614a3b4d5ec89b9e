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

/// Leptos builds its route list by rendering the app once with resource loading switched off for
/// the whole process. A page that started loading then waited forever: the tests, which start
/// many servers in one process, hung on a page load now and then. Servers start here while pages
/// load, and every load must arrive whole within a few seconds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_load_while_other_servers_start() {
    let app = spawn_app(Db::Sqlite).await;
    let client = app.signed_up_client("starts@example.com").await;
    let starting = tokio::spawn(async {
        for _ in 0..STARTS {
            drop(spawn_app(Db::Sqlite).await);
        }
    });
    let mut loads = 0;
    let mut failures = Vec::new();
    while !starting.is_finished() || loads < STARTS {
        loads += 1;
        let load = async {
            let res = client.get("/").await;
            res.text().await.map(|body| body.contains("My chats"))
        };
        match tokio::time::timeout(PAGE_WITHIN, load).await {
            Ok(Ok(true)) => {}
            Ok(Ok(false)) => failures.push(format!("load {loads}: no chat list in the page")),
            Ok(Err(e)) => failures.push(format!("load {loads}: {e}")),
            Err(_) => failures.push(format!("load {loads}: not whole within {PAGE_WITHIN:?}")),
        }
    }
    starting.await.unwrap();
    assert!(
        failures.is_empty(),
        "{} of {loads} loads failed while {STARTS} servers started: {failures:#?}",
        failures.len()
    );
}

const STARTS: usize = 30;
const PAGE_WITHIN: std::time::Duration = std::time::Duration::from_secs(5);

/// Leptos renders a `Suspense`'s children up to three times on the server to find what they wait
/// for; the chat page's data was loaded three times and sent along three times (two thirds of a
/// long chat's page). Each page's data is sent once.
async fn a_page_sends_its_data_once(db: Db) {
    let app = spawn_app(db).await;
    let client = app.signed_up_client("once@example.com").await;
    let id = client
        .start_chat("project", "Data once", "A message the page carries once.")
        .await;
    let body = client
        .get(&format!("/chats/{id}"))
        .await
        .text()
        .await
        .unwrap();
    let (page, data) = body.split_once("</html>").expect("the page, then its data");
    assert!(page.contains("A message the page carries once."), "{page}");
    // Three resources: the user, the sidebar's list and the chat.
    assert_eq!(data.matches("__RESOLVED_RESOURCES[").count(), 3, "{data}");
    // The message, and its preview in the list and in the chat's summary: each once.
    assert_eq!(
        data.matches("A message the page carries once.").count(),
        3,
        "{data}"
    );
}
on_both_dbs!(a_page_sends_its_data_once);
