import { expect, test, type Page } from "@playwright/test";
import { chatLink, clientPage, composer, endOfTest, managerPage, messages, newManager, ownContext, sidebarChats, startChat } from "./chat-helpers";
import { ADMIN_EMAIL, ADMIN_PASSWORD, logIn, waitForHydration } from "./helpers";

// Channels, queues and routing: an admin puts two operators in a team, gives them a round-robin
// queue and a Support channel that feeds it; clients who pick Support get them in turn, without
// anyone accepting; one operator hands a chat to another queue, where a third takes it with its
// history.
test.describe.configure({ mode: "serial" });
test.afterEach(endOfTest);

/// Submits a form on an admin page and waits for the server's answer.
async function submitAndWait(admin: Page, form: string, endpoint: string) {
  const saved = admin.waitForResponse((r) => r.url().includes(endpoint));
  await admin.getByRole("form", { name: form }).evaluate((f: HTMLFormElement) => f.requestSubmit());
  expect((await saved).status()).toBe(200);
}

/// Submits a queue's row on the admin page and waits for the server's answer.
async function saveQueue(admin: Page, label: string) {
  const saved = admin.waitForResponse((r) => r.url().includes("/api/admin/queues/save"));
  await admin.getByRole("form", { name: `Queue ${label}` }).evaluate((f: HTMLFormElement) => f.requestSubmit());
  expect((await saved).status()).toBe(200);
}

test("round robin gives two available operators new chats in turn", async ({ browser }) => {
  // Many people and pages: the admin's setup, three operators, four clients.
  test.setTimeout(120_000);
  const stamp = Date.now();
  const team = `Desk ${stamp}`;
  const queue = `Desk queue ${stamp}`;
  const channel = `Support ${stamp}`;
  const first = await newManager(browser, "Rita Rotation");
  const second = await newManager(browser, "Rob Rotation");
  const admin = await (await ownContext(browser)).newPage();
  await logIn(admin, ADMIN_EMAIL, ADMIN_PASSWORD);
  await waitForHydration(admin);
  await admin.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Queues" }).click();
  await expect(admin.getByRole("heading", { name: "Queues and teams" })).toBeVisible();
  await admin.getByLabel("New team").fill(team);
  await admin.getByRole("button", { name: "Create team" }).click();
  const card = admin.getByRole("region", { name: `Team ${team}` });
  for (const name of ["Rita Rotation", "Rob Rotation"]) {
    await card.getByRole("combobox", { name: `Employee to add to ${team}` }).selectOption({ label: name });
    await card.getByRole("button", { name: "Add" }).click();
    await expect(card.getByRole("button", { name: `Remove ${name} from ${team}` })).toBeVisible();
  }
  // A new round-robin queue for the team, and a Support channel feeding it, operated by the team.
  await admin.getByLabel("Name of New queue").fill(queue);
  await admin.getByRole("combobox", { name: "Team of New queue" }).selectOption({ label: team });
  await admin.getByRole("combobox", { name: "Routing of New queue" }).selectOption({ label: "Round robin" });
  await saveQueue(admin, "New queue");
  await expect(admin.getByLabel(`Name of ${queue}`)).toBeVisible();
  await admin.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Channels" }).click();
  await expect(admin.getByRole("heading", { name: "Channels", level: 1 })).toBeVisible();
  const channelCard = admin.getByRole("region", { name: "Channel New channel" });
  await channelCard.getByLabel("Name", { exact: true }).fill(channel);
  await channelCard.getByLabel("Queue", { exact: true }).selectOption({ label: queue });
  // Every deal manager may operate it (so a chat handed to another queue can be taken there);
  // the queue's team decides who gets its chats.
  await expect(channelCard.getByRole("checkbox", { name: "All deal managers" })).toBeChecked();
  // Its clients may attach files in chats without a deal (General's may not).
  await channelCard.getByRole("checkbox", { name: "Clients may attach files in chats without a deal" }).check();
  await submitAndWait(admin, "Save channel New channel", "/api/admin/channels/save");
  const saved = admin.getByRole("region", { name: `Channel ${channel}` });
  await expect(saved.getByLabel("Queue", { exact: true })).toHaveValue(/\d+/);
  await expect(saved.getByRole("group", { name: /May use/ }).getByRole("checkbox", { name: "Clients" })).toBeChecked();
  // Its picture: a 1×1 PNG, checked by the server and shown on the card.
  await saved.getByLabel(`Picture of channel ${channel}`).setInputFiles({
    name: "support.png",
    mimeType: "image/png",
    buffer: Buffer.from(
      "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
      "base64",
    ),
  });
  const picture = saved.getByRole("img", { name: `Picture of ${channel}` });
  await expect(picture).toBeVisible();
  await expect.poll(() => picture.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(1);
  try {

    // Both open their consoles: available, seen, holding nothing yet.
    const rita = await managerPage(browser, first);
    const rob = await managerPage(browser, second);
    for (const page of [rita, rob]) {
      await expect(page.getByRole("combobox", { name: "My status" })).toHaveValue("available");
      await expect(page.getByLabel("My load")).toHaveText("0 of 5 chats");
    }

    const titles = [`Rotation one ${stamp}`, `Rotation two ${stamp}`];
    for (const title of titles) {
      const client = await clientPage(browser, "Carla Customer");
      await startChat(client, "A general question", title, "Who answers me?", channel);
      // Assigned at once: the client is told who joined.
      await expect(messages(client).getByText(/(Rita|Rob) Rotation joined the chat\./)).toBeVisible();
    }
    // One each, in turn, straight into "Assigned to me"; nobody had to accept.
    const ritaMine = rita.getByRole("region", { name: "Assigned to me" });
    const robMine = rob.getByRole("region", { name: "Assigned to me" });
    await expect(chatLink(ritaMine, titles[0])).toBeVisible();
    await expect(chatLink(robMine, titles[1])).toBeVisible();
    await expect(chatLink(ritaMine, titles[1])).toHaveCount(0);
    await expect(rita.getByLabel("My load")).toHaveText("1 of 5 chats");

    // Away: the next chat goes to whoever is available (Rob), though it is Rita's turn.
    await rita.getByRole("combobox", { name: "My status" }).selectOption("away");
    await expect(rita.getByRole("combobox", { name: "My status" })).toHaveValue("away");
    const third = `Rotation three ${stamp}`;
    const client = await clientPage(browser, "Carla Customer");
    await startChat(client, "A general question", third, "Anyone there?", channel);
    await expect(chatLink(robMine, third)).toBeVisible();
    await expect(chatLink(ritaMine, third)).toHaveCount(0);

    // A client with chats in two channels sees both channels in the sidebar and can show one.
    const other = `Other channel ${stamp}`;
    await startChat(client, "A general question", other, "And a second thing.", "General");
    const channels = sidebarChats(client).getByRole("list", { name: "Channels" });
    await expect(channels.getByRole("button", { name: /^General/ })).toBeVisible();
    const support = channels.getByRole("button", { name: new RegExp(`^${channel}`) });
    await support.click();
    await expect(support).toHaveAttribute("aria-pressed", "true");
    await expect(chatLink(sidebarChats(client), third)).toBeVisible();
    await expect(chatLink(sidebarChats(client), other)).toHaveCount(0);
    await support.click();
    await expect(chatLink(sidebarChats(client), other)).toBeVisible();

    // In General the client has no attachments; in Support they attach a picture, which both
    // sides see as a picture in the chat.
    await expect(client.getByLabel("Attach files to share")).toHaveCount(0);
    await chatLink(sidebarChats(client), third).click();
    await expect(client.getByRole("heading", { name: third, level: 1 })).toBeVisible();
    await client.getByLabel("Attach files to share").setInputFiles({
      name: "label.png",
      mimeType: "image/png",
      buffer: Buffer.from(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
        "base64",
      ),
    });
    await composer(client).fill("The label on the box");
    await composer(client).press("Enter");
    await chatLink(robMine, third).click();
    for (const page of [client, rob]) {
      await expect(messages(page).getByText("The label on the box")).toBeVisible();
      const shown = messages(page).getByRole("img", { name: "label.png" });
      await expect(shown).toBeVisible();
      await expect.poll(() => shown.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(1);
      await expect(messages(page).getByRole("link", { name: "Download label.png" })).toBeVisible();
    }
    await rob.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Inbox" }).click();

    // Rob hands chat two to the General queue with a note; a third operator takes it there and
    // reads the whole thread.
    await chatLink(robMine, titles[1]).click();
    await rob.getByRole("button", { name: "Transfer" }).click();
    const form = rob.getByRole("form", { name: "Transfer chat" });
    const general = await form.locator("option", { hasText: /^General \(/ }).getAttribute("value");
    await form.getByLabel("Transfer to").selectOption(general!);
    await form.getByLabel("Note for the next operator (optional)").fill("Asked about delivery.");
    await form.getByRole("button", { name: "Transfer" }).click();
    const handedOn = "Rob Rotation moved the chat to the General queue. Note: Asked about delivery.";
    await expect(messages(rob).getByText(handedOn)).toBeVisible();
    await expect(composer(rob)).toHaveCount(0);
    const tess = await managerPage(browser, await newManager(browser, "Tess Third"));
    await chatLink(tess.getByRole("region", { name: "Waiting" }), titles[1]).click();
    await tess.getByRole("button", { name: "Accept" }).click();
    await expect(composer(tess)).toBeVisible();
    for (const line of ["Who answers me?", "Rob Rotation joined the chat.", handedOn]) {
      await expect(messages(tess).getByText(line)).toBeVisible();
    }
  } finally {
    // Deactivated, the channel is no longer offered (the shared server's other tests start
    // chats in General); its chats go on.
    await admin.getByRole("region", { name: `Channel ${channel}` }).getByLabel("Active (offered for new chats)").uncheck();
    await submitAndWait(admin, `Save channel ${channel}`, "/api/admin/channels/save");
  }
});
