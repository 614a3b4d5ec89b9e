import { expect, test } from "@playwright/test";
import { chatLink, clientPage, composer, endOfTest, managerPage, newManager, send, startChat } from "./chat-helpers";

// Notifications: the operator's page title counts what asks for them (waiting chats, unread
// messages in their chats), and news plays the notification sound, unless they turned it off.
test.describe.configure({ mode: "serial" });
test.afterEach(endOfTest);

test("the title counts waiting chats and unread messages, and news plays a sound unless muted", async ({ browser }) => {
  const stamp = Date.now();
  const manager = await managerPage(browser, await newManager(browser, "Nora Notify"));
  // Count the sounds the page plays (headless browsers may refuse to play them aloud).
  await manager.evaluate(() => {
    const w = window as unknown as { plays: number };
    w.plays = 0;
    const play = HTMLMediaElement.prototype.play;
    HTMLMediaElement.prototype.play = function () {
      w.plays++;
      return play.call(this).catch(() => undefined);
    };
  });
  const plays = () => manager.evaluate(() => (window as unknown as { plays: number }).plays);
  const count = async () => Number((await manager.title()).match(/^\((\d+)\) /)?.[1] ?? 0);
  const before = await count();

  const client = await clientPage(browser, "Nils Notice");
  const title = `Ping ${stamp}`;
  await startChat(client, "A general question", title, "Hello?");
  await expect.poll(count).toBe(before + 1);
  await expect.poll(plays).toBe(1);

  // Taking it myself is no news; it no longer waits.
  await chatLink(manager.getByRole("region", { name: "Waiting" }), title).click();
  await manager.getByRole("button", { name: "Accept" }).click();
  await expect(composer(manager)).toBeVisible();
  await expect.poll(count).toBe(before);
  expect(await plays()).toBe(1);

  // Back in the inbox, a message in my chat counts and rings.
  await manager.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Inbox" }).click();
  await send(client, "Are you there?");
  await expect.poll(count).toBe(before + 1);
  await expect.poll(plays).toBe(2);

  // Muted: still counted, silent; the choice is kept for the next visit.
  await manager.getByRole("button", { name: "Sound on" }).click();
  await expect(manager.getByRole("button", { name: "Sound off" })).toHaveAttribute("aria-pressed", "false");
  await send(client, "Hello again?");
  await expect.poll(count).toBe(before + 2);
  expect(await plays()).toBe(2);
  await manager.reload();
  await expect(manager.getByRole("button", { name: "Sound off" })).toBeVisible();
  await expect.poll(count).toBe(before + 2);
});
