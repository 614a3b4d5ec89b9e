import { expect, Page, test } from "@playwright/test";
import { chatLink, clientPage, composer, endOfTest, managerPage, messages, newManager, send, startChat } from "./chat-helpers";
import { waitForHydration } from "./helpers";

// Internal chats with three people in their own browsers: staff A makes a group with staff B and
// client C, makes C a viewer; A and B talk live (B's mention of A is highlighted for A), C reads
// without a composer; A pastes a screenshot
// that both see as a picture; A removes B, whose open chat says so at once; A links the group to
// C's deal, whose record page lists it in its Chats tab, where A writes into it and C reads it live.
test.afterEach(endOfTest);

// A 1×1 PNG, as a pasted screenshot.
const PNG =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

const chatsTab = (page: Page) => page.getByRole("group", { name: "Lists" }).getByRole("button", { name: /^Chats/ });
const teamList = (page: Page) => page.getByRole("navigation", { name: "Personal and group chats" });

/** Finds `name` on the new-chat page and ticks them into the group. */
async function pick(page: Page, name: string) {
  await page.getByLabel("Find people").fill(name);
  await page.getByRole("button", { name: "Find" }).click();
  await page.getByRole("checkbox", { name: `Add ${name} to the group` }).check();
}

test("a group chat: members talk live, a viewer only reads, a pasted picture shows to all, a removed member loses the chat, the deal it is linked to shows it", async ({ browser, browserName }) => {
  // Firefox over BiDi runs the flows about four times slower (playwright.config.ts).
  test.setTimeout(browserName === "firefox" ? 300_000 : 120_000);
  const stamp = Date.now();
  const [anaName, boName, cyName] = [`Ana ${stamp}`, `Bo ${stamp}`, `Cy ${stamp}`];
  const ana = await managerPage(browser, await newManager(browser, anaName));
  const bo = await managerPage(browser, await newManager(browser, boName));
  const cy = await clientPage(browser, cyName);

  // A makes the group from the Chats tab.
  await chatsTab(ana).click();
  await teamList(ana).getByRole("link", { name: "New" }).click();
  await pick(ana, boName);
  await pick(ana, cyName);
  const title = `Roof team ${stamp}`;
  const form = ana.getByRole("form", { name: "New group chat" });
  await form.getByLabel("Name").fill(title);
  await form.getByRole("button", { name: "Create group" }).click();
  await expect(ana).toHaveURL(/\/team\/\d+$/);
  await expect(ana.getByRole("heading", { name: title, level: 1 })).toBeVisible();
  await expect(messages(ana)).toContainText(`${anaName} added ${boName} and ${cyName}.`);
  await ana.getByRole("combobox", { name: `Role of ${cyName}` }).selectOption("viewer");
  await expect(messages(ana)).toContainText(`${anaName} made ${cyName} a viewer.`);

  // B and C find it in their Chats tab, live.
  for (const page of [bo, cy]) {
    await chatsTab(page).click();
    await teamList(page).getByRole("link", { name: new RegExp(title) }).click();
    await expect(page.getByRole("heading", { name: title, level: 1 })).toBeVisible();
  }

  // A and B write to each other; C reads along without a composer.
  await send(ana, "Hello team");
  await expect(messages(bo).getByText("Hello team", { exact: true })).toBeVisible();
  await send(bo, "Hi Ana");
  await expect(messages(ana).getByText("Hi Ana", { exact: true })).toBeVisible();
  await expect(messages(cy).getByText("Hi Ana", { exact: true })).toBeVisible();
  await expect(composer(cy)).toHaveCount(0);
  await expect(cy.getByText("You are a viewer here")).toBeVisible();
  // B mentions A: highlighted for A only.
  await send(bo, `Look here @${anaName}`);
  await expect(messages(ana).locator("mark.mention")).toHaveText(`@${anaName}`);
  await expect(messages(bo).getByText(`Look here @${anaName}`)).toBeVisible();
  await expect(messages(bo).locator("mark.mention")).toHaveCount(0);

  // A pastes a screenshot into the composer and sends it: everyone sees the picture.
  // Firefox gives a scripted paste event an empty clipboard (it keeps no files of the one the
  // script made), and its headless clipboard carries no images, so there A picks the file.
  if (browserName === "firefox") {
    await ana.getByLabel("Attach files to share").setInputFiles({
      name: "screenshot.png",
      mimeType: "image/png",
      buffer: Buffer.from(PNG, "base64"),
    });
  } else {
    await composer(ana).click();
    await composer(ana).evaluate((box, png) => {
      const bytes = Uint8Array.from(atob(png), (c) => c.charCodeAt(0));
      const data = new DataTransfer();
      data.items.add(new File([bytes], "screenshot.png", { type: "image/png" }));
      box.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
    }, PNG);
  }
  await expect(ana.getByRole("list", { name: "Files to share" })).toContainText("screenshot.png");
  await composer(ana).press("Enter");
  for (const page of [ana, bo, cy]) {
    await expect(messages(page).getByRole("img", { name: "screenshot.png" })).toBeVisible();
  }

  // A removes B: B's open chat says at once that it is closed to them.
  await ana.getByRole("button", { name: `Remove ${boName}` }).click();
  await expect(messages(ana)).toContainText(`${anaName} removed ${boName}.`);
  await expect(bo.getByRole("alert")).toContainText("You are no longer a member of this chat");
  await expect(teamList(bo).getByRole("link", { name: new RegExp(title) })).toHaveCount(0);

  // C starts a project (a deal), A takes it.
  const groupUrl = ana.url();
  const dealTitle = `Roof deal ${stamp}`;
  await startChat(cy, "A new project", dealTitle, "We need a roof.");
  await ana.goto("/");
  await waitForHydration(ana);
  await chatLink(ana.getByRole("region", { name: "Waiting" }), dealTitle).click();
  await ana.getByRole("button", { name: "Accept" }).click();
  await expect(composer(ana)).toBeVisible();

  // A links the group to that deal with the pickers beside the chat.
  await ana.goto(groupUrl);
  await waitForHydration(ana);
  const picker = ana.getByRole("form", { name: "Find a record" });
  await picker.getByRole("combobox", { name: "Kind of record" }).selectOption({ label: "Deal" });
  await expect(picker.getByRole("combobox", { name: "Account" })).toBeVisible();
  await picker.getByLabel("Find a deal").fill(dealTitle);
  await picker.getByRole("button", { name: "Search" }).click();
  await picker.getByRole("button", { name: `Link deal “${dealTitle}”` }).click();
  await expect(messages(ana)).toContainText(`${anaName} linked the chat to deal “${dealTitle}”.`);
  const linked = ana.getByRole("list", { name: "Linked records" }).getByRole("link", { name: `Deal “${dealTitle}”` });
  await expect(linked).toBeVisible();

  // C follows the group again.
  await chatsTab(cy).click();
  await teamList(cy).getByRole("link", { name: new RegExp(title) }).click();
  await expect(cy.getByRole("heading", { name: title, level: 1 })).toBeVisible();

  // The deal's record lists the group in its Chats tab; A writes there, C reads it in the chat.
  await linked.click();
  await expect(ana.getByRole("heading", { name: new RegExp(dealTitle), level: 1 })).toBeVisible();
  await ana.getByRole("tab", { name: "Chats" }).click();
  const teamChats = ana.getByRole("list", { name: "Team chats" });
  await expect(teamChats.getByRole("link", { name: title })).toBeVisible();
  await teamChats.getByRole("button", { name: `Open ${title} here` }).click();
  await expect(ana.getByRole("heading", { name: title, level: 2 })).toBeVisible();
  await send(ana, "Written on the deal's page");
  await expect(messages(ana).getByText("Written on the deal's page", { exact: true })).toBeVisible();
  await expect(messages(cy).getByText("Written on the deal's page", { exact: true })).toBeVisible();
});
