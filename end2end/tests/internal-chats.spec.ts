import { expect, Page, test } from "@playwright/test";
import { clientPage, composer, endOfTest, managerPage, messages, newManager, send } from "./chat-helpers";

// Internal chats with three people in their own browsers: staff A makes a group with staff B and
// client C, makes C a viewer; A and B talk live, C reads without a composer; A pastes a screenshot
// that both see as a picture; A removes B, whose open chat says so at once.
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

test("a group chat: members talk live, a viewer only reads, a pasted picture shows to all, a removed member loses the chat", async ({ browser }) => {
  test.setTimeout(120_000);
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

  // A pastes a screenshot into the composer and sends it: everyone sees the picture.
  await composer(ana).click();
  await composer(ana).evaluate((box, png) => {
    const bytes = Uint8Array.from(atob(png), (c) => c.charCodeAt(0));
    const data = new DataTransfer();
    data.items.add(new File([bytes], "screenshot.png", { type: "image/png" }));
    box.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
  }, PNG);
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
});
