import { APIRequestContext, expect, test } from "@playwright/test";
import {
  clientPage,
  composer,
  endOfTest,
  ownContext,
  managerPage,
  messages,
  newManager,
  startChat,
  chatLink,
} from "./chat-helpers";
import { ADMIN_EMAIL, ADMIN_PASSWORD, logIn, waitForHydration } from "./helpers";

// Every signed-in page is loaded many times in a row, as the people who use it load it. A page
// whose server rendering panics (the chat page did, one load in six, when state made for the
// browser was dropped on another server thread) ends with a cut-off body; here it fails.
test.describe.configure({ mode: "serial" });
test.afterEach(endOfTest);

const LOADS_PER_PAGE = 200;
const LANES = 4;

type Outcome = { ok: number; failures: string[] };

async function loadRepeatedly(request: APIRequestContext, path: string, marker: string): Promise<Outcome> {
  const outcome: Outcome = { ok: 0, failures: [] };
  const lane = async (count: number) => {
    for (let i = 0; i < count; i++) {
      try {
        const res = await request.get(path, { maxRedirects: 0 });
        const body = await res.text();
        // A body cut off mid-stream makes `text()` throw (the chunked encoding never ends); Leptos
        // appends its resolved-resource scripts after `</html>`, so the page need not end with it.
        if (res.status() !== 200) outcome.failures.push(`${path}: status ${res.status()}`);
        else if (!body.includes("</html>")) outcome.failures.push(`${path}: no </html> in ${body.length} bytes`);
        else if (!body.includes(marker)) outcome.failures.push(`${path}: no "${marker}" in the page`);
        else outcome.ok++;
      } catch (e) {
        outcome.failures.push(`${path}: ${String(e).split("\n")[0]}`);
      }
    }
  };
  await Promise.all(Array.from({ length: LANES }, () => lane(LOADS_PER_PAGE / LANES)));
  return outcome;
}

test("every signed-in page loads 200 times without a failure", async ({ browser }) => {
  test.setTimeout(300_000);
  const u = Date.now();
  const title = `Load check ${u}`;
  const manager = await managerPage(browser, await newManager(browser, "Lou Load"));
  const client = await clientPage(browser, "Cleo Load");
  await startChat(client, "A new project", title, "Checking every page.");
  const chatPath = new URL(client.url()).pathname;
  await chatLink(manager.getByRole("region", { name: "Waiting" }), title).click();
  await manager.getByRole("button", { name: "Accept" }).click();
  await expect(composer(manager)).toBeVisible();
  // The deal's record page, found as staff find it: on the Deals page.
  await manager.goto("/deals");
  const find = manager.getByRole("search", { name: "Find deals" });
  await find.getByLabel("Title or client").fill(title);
  await find.getByRole("button", { name: "Find" }).click();
  const dealPath = await manager.getByRole("table", { name: "Deals" }).getByRole("link", { name: title }).getAttribute("href");
  expect(dealPath).toMatch(/^\/deals\/\d+$/);
  const admin = await (await ownContext(browser)).newPage();
  await logIn(admin, ADMIN_EMAIL, ADMIN_PASSWORD);
  await expect(admin.getByRole("heading", { name: "Operator console" })).toBeVisible();

  const pages: [string, APIRequestContext, string, string][] = [
    ["client chat", client.request, chatPath, "Checking every page."],
    ["client chat list", client.request, "/", "My chats"],
    ["client new chat", client.request, "/chats/new", "Start chat"],
    ["client account", client.request, "/account", "Cleo Load"],
    ["staff chat with its deal panel", manager.request, chatPath, "Deal amount"],
    ["operator console", manager.request, "/", "Operator console"],
    ["manager account", manager.request, "/account", "Lou Load"],
    ["staff deals", manager.request, "/deals", "Find deals"],
    ["staff deal record", manager.request, dealPath ?? "/deals/0", "Stage history"],
    ["admin users", admin.request, "/admin/users", "Create user"],
    ["admin failed jobs", admin.request, "/admin/jobs", "No failed jobs."],
    ["admin channels", admin.request, "/admin/channels", "Create channel"],
    ["admin quick replies", admin.request, "/admin/quick-replies", "Create quick reply"],
    ["admin metrics", admin.request, "/admin/metrics", "By operator"],
    ["admin CRM", admin.request, "/admin/crm", "Sync log"],
  ];
  const report: string[] = [];
  const failures: string[] = [];
  for (const [name, request, path, marker] of pages) {
    const outcome = await loadRepeatedly(request, path, marker);
    report.push(`${name} (${path}): ${outcome.ok} of ${LOADS_PER_PAGE} whole`);
    failures.push(...outcome.failures);
  }
  console.log(report.join("\n"));
  expect(failures.slice(0, 20), `${failures.length} failed loads`).toEqual([]);
});

test("the chat page reloads 20 times in a row and hydrates every time", async ({ browser }) => {
  test.setTimeout(180_000);
  const client = await clientPage(browser, "Rita Reload");
  await startChat(client, "A new project", `Reloads ${Date.now()}`, "Reload me.");
  for (let i = 0; i < 20; i++) {
    await client.reload();
    await waitForHydration(client);
    await expect(messages(client).getByText("Reload me.")).toBeVisible();
  }
  // Still live after the last reload: a send goes out and is confirmed.
  await composer(client).fill("After twenty reloads.");
  await composer(client).press("Enter");
  await expect(messages(client).locator("li.message").filter({ hasText: "After twenty reloads." })).not.toContainText(
    "Sending",
  );
});
