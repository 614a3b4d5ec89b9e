import { expect, test } from "@playwright/test";
import { readFileSync } from "node:fs";
import { chatLink, clientPage, composer, endOfTest, managerPage, messages, newManager, send, sidebarChats, startChat } from "./chat-helpers";

// Closing a deal: the manager closes it as won; both sides see the closed line instead of a
// composer, without a reload, and download its transcript (a PDF a job makes after the close);
// the chat moves under "Archived" in the client's sidebar, where a search also finds it; the
// manager finds the deal on the Deals page and opens its record.
test.describe.configure({ mode: "serial" });
test.afterEach(endOfTest);

test("a manager closes a deal as won; both sides keep it as read-only history under Archived", async ({ browser }) => {
  const title = `Kitchen ${Date.now()}`;
  const manager = await managerPage(browser, await newManager(browser, "Ana Closer"));
  const client = await clientPage(browser, "Cleo Client");
  await startChat(client, "A new project", title, "We want a new kitchen.");
  await chatLink(manager.getByRole("region", { name: "Waiting" }), title).click();
  await manager.getByRole("button", { name: "Accept" }).click();
  await expect(composer(manager)).toBeVisible();
  await send(manager, "Signed and delivered.");

  // The deal panel's close form: won, with a reason.
  await manager.getByText("Close deal…").click();
  const form = manager.getByRole("form", { name: "Close deal" });
  await form.getByRole("radio", { name: "Won (completed)" }).check();
  await form.getByLabel("Reason (optional)").fill("Contract signed");
  await form.getByRole("button", { name: "Close deal" }).click();

  for (const page of [manager, client]) {
    const line = page.getByRole("status").filter({ hasText: /^Closed as won on \d+ \w+ \d{4} by Ana Closer\. Reason: Contract signed$/ });
    await expect(line).toBeVisible();
    await expect(composer(page)).toHaveCount(0);
    await expect(messages(page).getByText("Ana Closer closed the deal as won. Reason: Contract signed")).toBeVisible();
    // The stepper shows the Completion path.
    await expect(page.getByRole("list", { name: "Deal stage" }).locator("[aria-current='step']")).toHaveText(/Completion/);
  }
  await expect(client.getByText("Upload files")).toHaveCount(0);

  // Both sides download the transcript once it is made (it arrives without a reload).
  for (const page of [manager, client]) {
    const link = page.getByRole("link", { name: /^Download transcript \(PDF, [\d.]+ KB\)$/ });
    await expect(link).toBeVisible({ timeout: 30_000 });
    const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
    expect(download.suggestedFilename()).toMatch(/^transcript-deal-\d+\.pdf$/);
    const pdf = readFileSync(await download.path());
    expect(pdf.subarray(0, 5).toString()).toBe("%PDF-");
  }
  await expect(client.getByRole("button", { name: "Regenerate transcript" })).toHaveCount(0);
  await expect(manager.getByRole("button", { name: "Regenerate transcript" })).toBeVisible();

  // The client's sidebar keeps it under Archived, collapsed; a search finds it too.
  const chats = sidebarChats(client);
  const archived = chats.locator("details.archived-chats");
  await expect(archived.locator("summary")).toHaveText("Archived (1)");
  await expect(archived).not.toHaveAttribute("open", "");
  await expect(chatLink(chats.getByRole("list", { name: "Archived chats" }), title)).toBeHidden();
  await archived.locator("summary").click();
  await expect(chatLink(chats.getByRole("list", { name: "Archived chats" }), title)).toBeVisible();
  await chats.getByRole("searchbox").fill("Kitchen");
  await expect(chatLink(chats, title)).toBeVisible();

  // A reload shows the same history, still read-only.
  await client.reload();
  await expect(messages(client).getByText("Signed and delivered.")).toBeVisible();
  await expect(composer(client)).toHaveCount(0);

  // The manager finds it on the Deals page among the closed deals and opens its chat from there.
  await manager.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Deals" }).click();
  await expect(manager.getByRole("heading", { name: "Deals", level: 1 })).toBeVisible();
  const find = manager.getByRole("search", { name: "Find deals" });
  await find.getByLabel("Title or client").fill(title);
  await find.getByLabel("State").selectOption("all");
  await find.getByRole("button", { name: "Find" }).click();
  const row = manager.getByRole("table", { name: "Deals" }).getByRole("row", { name: new RegExp(title) });
  await expect(row).toContainText("Completion");
  await expect(row).toContainText("(won)");
  await expect(row.getByRole("link", { name: "Open chat" })).toBeVisible();

  // The deal's record page: its history, its attachments (the transcript, also attached in the
  // CRM) and its Chats tab, whose chat opens in the chat window.
  await row.getByRole("link", { name: title }).click();
  await expect(manager.getByRole("heading", { level: 1, name: new RegExp(title) })).toBeVisible();
  await expect(manager.getByRole("list", { name: "Stage history" })).toContainText("Ana Closer closed the deal as won. Reason: Contract signed");
  await expect(async () => {
    await manager.reload();
    await manager.getByRole("tab", { name: "Attachments" }).click();
    await expect(manager.getByRole("list", { name: "Files" }).getByRole("link", { name: /^transcript-deal-\d+\.pdf$/ })).toBeVisible({ timeout: 1000 });
    await expect(manager.getByRole("list", { name: "Attached in the CRM" })).toContainText(/transcript-deal-\d+\.pdf/, { timeout: 1000 });
  }).toPass({ timeout: 30_000 });
  await manager.getByRole("tab", { name: "Chats" }).click();
  await manager.getByRole("list", { name: "Linked chats" }).getByRole("link", { name: "Chat with Cleo Client" }).click();
  await expect(manager.getByRole("status").filter({ hasText: /^Closed as won/ })).toBeVisible();
});
