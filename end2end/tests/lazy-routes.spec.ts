// Pages other than the chat are lazily loaded chunks (`ui::lazy_page`): opened cold, the server
// names the page's chunks for preloading and the browser hydrates once they arrived; reached by
// client-side navigation, the browser fetches them on the click. Both must end in a working page.
import { expect, Page, test } from "@playwright/test";
import { chatLink, clientPage, closeContexts, composer, expectNoPanics, managerPage, messages, newManager, startChat, watchForPanics } from "./chat-helpers";
import { ADMIN_EMAIL, ADMIN_PASSWORD, logIn, submitNewUser, uniqueEmail, waitForHydration } from "./helpers";

/** The lazily loaded chunk files (`/pkg/split_*.wasm`) the page fetches from now on. */
function chunkRequests(page: Page): string[] {
  const seen: string[] = [];
  page.on("request", (r) => {
    const path = new URL(r.url()).pathname;
    if (/^\/pkg\/split_.*\.wasm$/.test(path)) seen.push(path);
  });
  return seen;
}

async function createsAUser(page: Page) {
  await submitNewUser(page, uniqueEmail("lazy"), "Lazy Larry", "lazy-password-1", "client");
}

test.afterEach(closeContexts);

test("an admin page opened directly (cold) is preloaded by the server and works", async ({ page }) => {
  watchForPanics(page);
  await logIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await expect(page.getByRole("heading", { name: "Operator console" })).toBeVisible();
  const chunks = chunkRequests(page);
  const answer = await page.goto("/admin/users");
  // The server rendered the whole page and named its chunk for the browser to fetch at once.
  const html = (await answer?.text()) ?? "";
  expect(html).toContain('<h1 id="users-title">Users</h1>');
  const preloads = html.match(/<link[^>]*rel="preload"[^>]*>/g) ?? [];
  expect(preloads.some((l) => /href="\/pkg\/split___admin_users_route[^"]*\.wasm"/.test(l))).toBe(true);
  await waitForHydration(page);
  expect(chunks.some((c) => c.includes("admin_users_route"))).toBe(true);
  await createsAUser(page);
  // Cold, the other admin page too.
  await page.goto("/admin/jobs");
  await waitForHydration(page);
  await expect(page.getByRole("heading", { name: "Failed jobs", level: 1 })).toBeVisible();
  expectNoPanics();
});

test("an admin page reached by client-side navigation loads its chunk on the click and works", async ({ page }) => {
  watchForPanics(page);
  await logIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await expect(page.getByRole("heading", { name: "Operator console" })).toBeVisible();
  await waitForHydration(page);
  const chunks = chunkRequests(page);
  let documents = 0;
  page.on("request", (r) => {
    if (r.resourceType() === "document") documents += 1;
  });
  const nav = page.getByRole("navigation", { name: "Main" });
  await nav.getByRole("link", { name: "Users" }).click();
  await expect(page).toHaveURL(/\/admin\/users$/);
  await expect(page.getByRole("heading", { name: "Users", level: 1 })).toBeVisible();
  expect(chunks.some((c) => c.includes("admin_users_route"))).toBe(true);
  await createsAUser(page);
  await nav.getByRole("link", { name: "Failed jobs" }).click();
  await expect(page.getByRole("heading", { name: "Failed jobs", level: 1 })).toBeVisible();
  await nav.getByRole("link", { name: "Account" }).click();
  await expect(page.getByRole("heading", { name: "Account", level: 1 })).toBeVisible();
  // Every page came by client-side navigation: no document was loaded again.
  expect(documents).toBe(0);
  expectNoPanics();
});

test("the staff deal panel is a chunk only staff load: preloaded on a manager's cold chat page, never fetched by the client", async ({ browser }) => {
  const title = `Lazy panel ${Date.now()}`;
  const client = await clientPage(browser, "Lena Lazy");
  const managerEmail = await newManager(browser, "Mia Manager");
  const manager = await managerPage(browser, managerEmail);
  await startChat(client, "A new project", title, "Please quote a logo.");
  const chatPath = new URL(client.url()).pathname;
  await chatLink(manager.getByRole("region", { name: "Waiting" }), title).click();
  await manager.getByRole("button", { name: "Accept" }).click();
  await expect(composer(manager)).toBeVisible();

  // The client's cold chat page neither names the panel's chunk nor fetches it.
  const clientChunks = chunkRequests(client);
  const clientHtml = (await (await client.goto(chatPath))?.text()) ?? "";
  await waitForHydration(client);
  expect(clientHtml).not.toContain("split_staff_deal_panel");
  expect(clientChunks.filter((c) => c.includes("staff_deal_panel"))).toEqual([]);

  // The manager's cold chat page preloads it, and the panel hydrates and works.
  const managerChunks = chunkRequests(manager);
  const managerHtml = (await (await manager.goto(chatPath))?.text()) ?? "";
  const panelPreloads = (managerHtml.match(/<link[^>]*>/g) ?? []).filter(
    (l) => l.includes('rel="preload"') && /href="\/pkg\/split_staff_deal_panel_\d+\.wasm"/.test(l),
  );
  expect(panelPreloads.length).toBeGreaterThan(0);
  // Named once, though the server renders the suspended panel more than once.
  expect(new Set(panelPreloads).size).toBe(panelPreloads.length);
  await waitForHydration(manager);
  expect(managerChunks.some((c) => c.includes("staff_deal_panel"))).toBe(true);
  const amount = manager.getByRole("form", { name: "Deal amount" });
  await amount.getByLabel("Amount").fill("900");
  await amount.getByLabel("Currency").fill("eur");
  await amount.getByRole("button", { name: "Save amount" }).click();
  await expect(messages(client).getByText("Deal amount set to 900 EUR.")).toBeVisible();
  expectNoPanics();
});
