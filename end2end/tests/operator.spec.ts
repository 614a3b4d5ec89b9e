import { expect, test } from "@playwright/test";
import { chatLink, clientPage, composer, endOfTest, managerPage, messages, newManager, send, startChat } from "./chat-helpers";

// The operator's side of one continuous client thread: ending a session, and the client's next
// message bringing the chat back to the queue with its whole history.
test.describe.configure({ mode: "serial" });
test.afterEach(endOfTest);

test("an operator ends a chat with a note; the client's next message puts it back in the queue", async ({ browser }) => {
  const title = `Garden plan ${Date.now()}`;
  const manager = await managerPage(browser, await newManager(browser, "Olga Operator"));
  const client = await clientPage(browser, "Carl Client");
  await startChat(client, "A new project", title, "We need a garden plan.");

  await chatLink(manager.getByRole("region", { name: "Waiting" }), title).click();
  await manager.getByRole("button", { name: "Accept" }).click();
  await expect(composer(manager)).toBeVisible();
  await send(manager, "Here is our price list.");
  await expect(messages(client).getByText("Here is our price list.")).toBeVisible();

  // End chat asks for an optional wrap-up note; the line that says so is the staff's alone.
  await manager.getByRole("button", { name: "End chat" }).click();
  const form = manager.getByRole("form", { name: "End chat" });
  await form.getByLabel("Wrap-up note (optional)").fill("Sent the price list.");
  await form.getByRole("button", { name: "End chat" }).click();
  await expect(messages(manager).getByText("Olga Operator ended the chat. Note: Sent the price list.")).toBeVisible();
  await expect(composer(manager)).toHaveCount(0);
  await expect(manager.getByText("You can read this chat but not reply to it.")).toBeVisible();

  // Nothing changes for the client: same thread, same manager, composer open.
  await expect(client.getByText("With Olga Operator")).toBeVisible();
  await expect(messages(client).getByText(/ended the chat/)).toHaveCount(0);
  await send(client, "One more question about the hedge.");

  // The operator's console: the chat left "Ended" and waits again, history and all.
  await manager.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Inbox" }).click();
  const waiting = manager.getByRole("region", { name: "Waiting" });
  await expect(chatLink(waiting, title)).toBeVisible();
  await expect(chatLink(manager.getByRole("region", { name: "Ended" }), title)).toHaveCount(0);
  await chatLink(waiting, title).click();
  for (const line of [
    "Here is our price list.",
    "Olga Operator ended the chat. Note: Sent the price list.",
    "The client wrote again: the chat waits for an operator.",
    "One more question about the hedge.",
  ]) {
    await expect(messages(manager).getByText(line)).toBeVisible();
  }
  await expect(manager.getByRole("button", { name: "Accept" })).toBeVisible();
  await expect(messages(client).getByText(/wrote again/)).toHaveCount(0);
});
