import { expect, test } from "@playwright/test";
import { chatLink, clientPage, composer, endOfTest, managerPage, messages, newManager, send, startChat } from "./chat-helpers";

// A second server with a short idle timeout (`IDLE_BASE_URL`, started by scripts/test.sh with
// `chat.idle_close_secs` = 4): a session nobody writes in closes on the staff side only.
const IDLE_BASE_URL = process.env.IDLE_BASE_URL;
if (!IDLE_BASE_URL) throw new Error("IDLE_BASE_URL is not set: run the browser tests with scripts/test.sh");
test.use({ baseURL: IDLE_BASE_URL });
test.afterEach(endOfTest);

test("a session nobody writes in closes as idle for the operator; the client's thread stays open", async ({ browser }) => {
  const title = `Quiet chat ${Date.now()}`;
  const manager = await managerPage(browser, await newManager(browser, "Ida Idle"));
  const client = await clientPage(browser, "Cleo Client");
  await startChat(client, "A new project", title, "Is anyone there?");
  await chatLink(manager.getByRole("region", { name: "Waiting" }), title).click();
  await manager.getByRole("button", { name: "Accept" }).click();
  await send(manager, "Yes, how can I help?");

  // Four seconds later the operator's side closes by itself, live: the line, and no composer.
  await expect(messages(manager).getByText("The chat closed after 4 seconds without a message.")).toBeVisible({ timeout: 15_000 });
  await expect(composer(manager)).toHaveCount(0);
  await expect(manager.getByText("session ended")).toBeVisible();

  // The client sees nothing of it and writes on; the chat waits again with its whole thread.
  await expect(messages(client).getByText(/closed after/)).toHaveCount(0);
  await expect(composer(client)).toBeVisible();
  await send(client, "Sorry, I was away.");
  await manager.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Inbox" }).click();
  await chatLink(manager.getByRole("region", { name: "Waiting" }), title).click();
  await expect(messages(manager).getByText("Yes, how can I help?")).toBeVisible();
  await expect(messages(manager).getByText("Sorry, I was away.")).toBeVisible();
});
