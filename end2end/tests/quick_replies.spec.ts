import { expect, test } from "@playwright/test";
import { chatLink, clientPage, composer, endOfTest, managerPage, messages, newManager, ownContext, startChat } from "./chat-helpers";
import { ADMIN_EMAIL, ADMIN_PASSWORD, logIn, waitForHydration } from "./helpers";

// Quick replies: an admin writes a template with {client_name}; the chat's operator types "/" in
// the empty composer, finds it, and gets it filled in at the cursor, to edit and send.
test.describe.configure({ mode: "serial" });
test.afterEach(endOfTest);

test("an operator inserts a quick reply with the client's name filled in", async ({ browser }) => {
  const stamp = Date.now();
  const reply = `Welcome ${stamp}`;
  const admin = await (await ownContext(browser)).newPage();
  await logIn(admin, ADMIN_EMAIL, ADMIN_PASSWORD);
  await waitForHydration(admin);
  await admin.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Quick replies" }).click();
  await expect(admin.getByRole("heading", { name: "Quick replies", level: 1 })).toBeVisible();
  const card = admin.getByRole("region", { name: "Quick reply New quick reply" });
  await card.getByLabel("Title").fill(reply);
  // An unknown placeholder is refused by name.
  await card.getByLabel("Text").fill("Hello {client_name}, it costs {price}.");
  await card.getByRole("button", { name: "Create quick reply" }).click();
  await expect(admin.getByText("Unknown placeholder {price}")).toBeVisible();
  await card.getByLabel("Title").fill(reply);
  await card.getByLabel("Text").fill("Hello {client_name}, {agent_name} here. How can I help?");
  await card.getByRole("button", { name: "Create quick reply" }).click();
  await expect(admin.getByRole("region", { name: `Quick reply ${reply}` })).toBeVisible();

  const manager = await managerPage(browser, await newManager(browser, "Quinn Quick"));
  const client = await clientPage(browser, "Rosa Reply");
  const title = `Quick question ${stamp}`;
  await startChat(client, "A general question", title, "Are you there?");
  await chatLink(manager.getByRole("region", { name: "Waiting" }), title).click();
  await manager.getByRole("button", { name: "Accept" }).click();
  await expect(composer(manager)).toBeVisible();

  // "/" in the empty composer opens the picker; typing narrows it; Enter inserts.
  await composer(manager).press("/");
  const search = manager.getByRole("searchbox", { name: "Search quick replies" });
  await expect(search).toBeFocused();
  await search.fill(String(stamp));
  await expect(manager.getByRole("option")).toHaveCount(1);
  await search.press("Enter");
  const filled = "Hello Rosa Reply, Quinn Quick here. How can I help?";
  await expect(composer(manager)).toHaveValue(filled);
  await expect(composer(manager)).toBeFocused();
  // Editable before sending.
  await composer(manager).press("End");
  await composer(manager).pressSequentially(" :)");
  await composer(manager).press("Enter");
  await expect(messages(client).getByText(`${filled} :)`)).toBeVisible();
});
