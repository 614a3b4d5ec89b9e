import { expect, test } from "@playwright/test";
import { newManager, managerPage, clientPage, startChat, messages, composer, stepper, sidebarChats, send, chatLink, endOfTest } from "./chat-helpers";
import { waitForHydration } from "./helpers";

// Real-time deal chat between a client and a deal manager, each in their own browser context.
test.describe.configure({ mode: "serial" });
test.afterEach(endOfTest);

test("a client and a manager chat in real time and the stepper follows the deal", async ({ browser }) => {
  const u = Date.now();
  const title = `Website relaunch ${u}`;
  const managerEmail = await newManager(browser, "Max Manager");
  const manager = await managerPage(browser, managerEmail);
  const client = await clientPage(browser, "Clara Client");

  await startChat(client, "A new project", title, "Hello, we need a new website.");
  await expect(stepper(client).locator('[aria-current="step"]')).toHaveText("Inquiry");

  // The manager's inbox shows it without a reload, within a second.
  const waiting = manager.getByRole("region", { name: "Waiting" });
  await expect(chatLink(waiting, title)).toBeVisible({ timeout: 1_000 });
  await expect(chatLink(waiting, title)).toContainText("Waiting since");

  // Read-only until accepted.
  await chatLink(waiting, title).click();
  await expect(messages(manager).getByText("Hello, we need a new website.")).toBeVisible();
  await expect(composer(manager)).toHaveCount(0);
  await manager.getByRole("button", { name: "Accept" }).click();
  await expect(composer(manager)).toBeVisible();
  await expect(messages(client).getByText("Max Manager accepted the chat.")).toBeVisible();
  await expect(client.getByText("With Max Manager")).toBeVisible();

  // Messages flow both ways without reloads.
  await send(manager, "Hi Clara, happy to help. What is the budget?");
  await expect(messages(client).getByText("Hi Clara, happy to help. What is the budget?")).toBeVisible();
  await send(client, "Around 15k, see https://example.com/brief for details.");
  await expect(messages(manager).getByText(/Around 15k/)).toBeVisible();
  const link = messages(manager).getByRole("link", { name: "https://example.com/brief" });
  await expect(link).toHaveAttribute("rel", "noopener noreferrer");
  await expect(link).toHaveAttribute("target", "_blank");

  // The manager moves the deal; the client's stepper follows and both see the system message.
  await stepper(manager).getByRole("button", { name: "Proposal" }).click();
  await expect(stepper(manager).locator('[aria-current="step"]')).toHaveText("Proposal");
  await expect(stepper(client).locator('[aria-current="step"]')).toHaveText("Proposal");
  await expect(messages(client).getByText("Max Manager moved the deal from Inquiry to Proposal.")).toBeVisible();
  // Clients see the stepper but cannot move it.
  await expect(stepper(client).getByRole("button")).toHaveCount(0);

  // The client steps away; two manager messages arrive as unread.
  await client.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "My chats" }).click();
  await expect(client.getByRole("heading", { name: "My chats" })).toBeVisible();
  await send(manager, "I will send a proposal tomorrow.");
  await send(manager, "Does Friday suit you for a call?");
  await expect(chatLink(sidebarChats(client), title)).toHaveAccessibleName(/2 unread/);

  // A reload keeps the count; opening the chat shows the marker and clears the badge.
  await client.reload();
  await waitForHydration(client);
  await expect(chatLink(sidebarChats(client), title)).toHaveAccessibleName(/2 unread/);
  await chatLink(sidebarChats(client), title).click();
  const list = messages(client);
  await expect(list.getByText("New messages")).toBeVisible();
  await expect(list.locator("li.new-messages").locator("xpath=following-sibling::li[1]")).toContainText(
    "I will send a proposal tomorrow.",
  );
  await expect(chatLink(sidebarChats(client), title)).not.toHaveAccessibleName(/unread/);

  // History is intact after a reload, in order, and nothing is unread any more.
  await client.reload();
  await waitForHydration(client);
  for (const text of [
    "Hello, we need a new website.",
    "Max Manager accepted the chat.",
    "Hi Clara, happy to help. What is the budget?",
    "Max Manager moved the deal from Inquiry to Proposal.",
    "I will send a proposal tomorrow.",
    "Does Friday suit you for a call?",
  ]) {
    await expect(messages(client).getByText(text)).toHaveCount(1);
  }
  await expect(stepper(client).locator('[aria-current="step"]')).toHaveText("Proposal");
  await expect(chatLink(sidebarChats(client), title)).not.toHaveAccessibleName(/unread/);

  // The other direction: the manager is on the console when the client writes.
  await manager.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Inbox" }).click();
  const mine = manager.getByRole("region", { name: "Assigned to me" });
  await expect(chatLink(mine, title)).not.toHaveAccessibleName(/unread/);
  await send(client, "Friday works.");
  await expect(chatLink(mine, title)).toHaveAccessibleName(/1 unread/);
  await chatLink(mine, title).click();
  await expect(messages(manager).getByText("Friday works.")).toBeVisible();
  await expect(chatLink(sidebarChats(manager), title)).not.toHaveAccessibleName(/unread/);
});

test("search, a general question with a deal created for it, Enter and Shift+Enter, and a retried send", async ({
  browser,
}) => {
  const u = Date.now();
  const project = `Alpha warehouse ${u}`;
  const question = `Invoice question ${u}`;
  const client = await clientPage(browser, "Quinn Question");
  await startChat(client, "A new project", project, `We store zebra${u} parts.`);
  await startChat(client, "A general question", question, "Where do I find my invoice?");

  // A general question has no deal, so no stepper.
  await expect(stepper(client)).toHaveCount(0);

  // Search filters the list by title and by message text.
  const chats = sidebarChats(client);
  const search = chats.getByRole("searchbox", { name: "Search chats" });
  await search.fill("invoice question");
  await expect(chatLink(chats, question)).toBeVisible();
  await expect(chatLink(chats, project)).toHaveCount(0);
  await search.fill(`zebra${u}`);
  await expect(chatLink(chats, project)).toBeVisible();
  await expect(chatLink(chats, question)).toHaveCount(0);
  await search.fill("");
  await expect(chatLink(chats, project)).toBeVisible();
  await expect(chatLink(chats, question)).toBeVisible();

  // Enter sends; Shift+Enter adds a line.
  const box = composer(client);
  await box.pressSequentially("line one");
  await box.press("Shift+Enter");
  await box.pressSequentially("line two");
  await expect(box).toHaveValue("line one\nline two");
  await box.press("Enter");
  await expect(box).toHaveValue("");
  const twoLines = messages(client).locator("li.message").filter({ hasText: "line one" });
  await expect(twoLines).toHaveCount(1);
  expect(await twoLines.locator(".body").innerText()).toBe("line one\nline two");

  // A send that does not reach the server shows Retry; the retry stores it once.
  await client.route("**/api/chats/send", (route) => route.abort(), { times: 1 });
  await box.fill("Sent on the second try");
  await box.press("Enter");
  const flaky = messages(client).locator("li.message").filter({ hasText: "Sent on the second try" });
  await expect(flaky).toContainText("Not sent: the server could not be reached.");
  await flaky.getByRole("button", { name: "Retry" }).click();
  await expect(flaky.getByRole("button", { name: "Retry" })).toHaveCount(0);
  await expect(flaky).not.toContainText("Sending");
  await client.reload();
  await waitForHydration(client);
  await expect(messages(client).getByText("Where do I find my invoice?")).toBeVisible();
  await expect(messages(client).getByText("Sent on the second try")).toHaveCount(1);

  // A manager accepts the question and creates a deal for it; both steppers appear.
  const managerEmail = await newManager(browser, "Mia Manager");
  const manager = await managerPage(browser, managerEmail);
  await chatLink(manager.getByRole("region", { name: "Waiting" }), question).click();
  await manager.getByRole("button", { name: "Accept" }).click();
  await expect(composer(manager)).toBeVisible();
  await expect(stepper(manager)).toHaveCount(0);
  const dealForm = manager.getByRole("form", { name: "Create deal" });
  await dealForm.getByRole("button", { name: "Create deal" }).click();
  await expect(dealForm.locator("#new-deal-title-error")).not.toBeEmpty();
  await dealForm.getByLabel("Deal title").fill(`Invoicing setup ${u}`);
  await dealForm.getByRole("button", { name: "Create deal" }).click();
  await expect(stepper(manager).locator('[aria-current="step"]')).toHaveText("Inquiry");
  await expect(stepper(client).locator('[aria-current="step"]')).toHaveText("Inquiry");
  await expect(messages(client).getByText(`Deal “Invoicing setup ${u}” created for this chat.`)).toBeVisible();

  // The amount is edited in the deal panel; a bad one is explained at its field.
  const amount = manager.getByRole("form", { name: "Deal amount" });
  await amount.getByLabel("Amount").fill("lots");
  await amount.getByRole("button", { name: "Save amount" }).click();
  await expect(amount.locator("#deal-amount-error")).toContainText("positive number");
  await amount.getByLabel("Amount").fill("1500.50");
  await amount.getByLabel("Currency").fill("usd");
  await amount.getByRole("button", { name: "Save amount" }).click();
  await expect(manager.getByRole("complementary", { name: "Deal" })).toContainText("1,500.50 USD");
  await expect(messages(client).getByText("Deal amount set to 1,500.50 USD.")).toBeVisible();
});

test("a chat accepted by a colleague leaves the other manager's inbox with a clear message", async ({ browser }) => {
  const u = Date.now();
  const title = `Contested ${u}`;
  const first = await managerPage(browser, await newManager(browser, "Fay First"));
  const second = await managerPage(browser, await newManager(browser, "Sam Second"));
  const client = await clientPage(browser, "Carl Client");
  await startChat(client, "A new project", title, "Who takes this one?");

  for (const page of [first, second]) {
    await chatLink(page.getByRole("region", { name: "Waiting" }), title).click();
    await expect(page.getByRole("button", { name: "Accept" })).toBeVisible();
  }
  await first.getByRole("button", { name: "Accept" }).click();
  await expect(composer(first)).toBeVisible();

  await second.getByRole("button", { name: "Accept" }).click();
  await expect(second.getByText("Another manager accepted this chat.")).toBeVisible();
  await expect(chatLink(sidebarChats(second), title)).toHaveCount(0);
  await expect(composer(second)).toHaveCount(0);
});

test("the chat page fits a 375 px phone screen", async ({ browser }) => {
  const client = await clientPage(browser, "Pia Phone");
  await startChat(client, "A new project", `Phone project ${Date.now()}`, "Typed on a small screen.");
  await client.setViewportSize({ width: 375, height: 740 });
  await expect(composer(client)).toBeVisible();
  await send(client, "Still fits.");
  const width = await client.evaluate(() => document.documentElement.scrollWidth);
  expect(width).toBeLessThanOrEqual(375);
});

test("each side sees the other typing, and 'Seen' under what the other side has read", async ({ browser }) => {
  const title = `Typing ${Date.now()}`;
  const manager = await managerPage(browser, await newManager(browser, "Tia Typist"));
  const client = await clientPage(browser, "Clara Client");
  await startChat(client, "A general question", title, "Hello?");
  await chatLink(manager.getByRole("region", { name: "Waiting" }), title).click();
  await manager.getByRole("button", { name: "Accept" }).click();
  await expect(composer(manager)).toBeVisible();

  // The client writes: the manager sees it, until the message arrives.
  await composer(client).fill("Is there a discount");
  await expect(manager.getByText("Clara Client is typing…")).toBeVisible();
  await composer(client).press("Enter");
  await expect(messages(manager).getByText("Is there a discount")).toBeVisible();
  await expect(manager.getByText("Clara Client is typing…")).toHaveCount(0);
  // The manager has the chat open at the bottom, so the client's message counts as read.
  const seenOnClient = messages(client).locator("li.seen");
  await expect(seenOnClient).toHaveText("Seen");
  await expect(seenOnClient.locator("xpath=preceding-sibling::li[1]")).toContainText("Is there a discount");

  // The manager writes and stops: the line goes after a silence of a few seconds.
  await composer(manager).fill("Let me che");
  await expect(client.getByText("Tia Typist is typing…")).toBeVisible();
  await expect(client.getByText("Tia Typist is typing…")).toHaveCount(0, { timeout: 10_000 });
  await composer(manager).fill("Let me check: 10% for a yearly plan.");
  await composer(manager).press("Enter");
  await expect(messages(client).getByText("Let me check: 10% for a yearly plan.")).toBeVisible();
  // The client's reply says they read it; until then, "Seen" moves under the manager's message.
  const seenOnManager = messages(manager).locator("li.seen");
  await expect(seenOnManager.locator("xpath=preceding-sibling::li[1]")).toContainText("10% for a yearly plan");
  await expect(seenOnClient).toHaveCount(0);
});
