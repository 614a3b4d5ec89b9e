import { expect, test } from "@playwright/test";
import { chatLink, clientPage, composer, endOfTest, managerPage, newManager, ownContext, send, startChat } from "./chat-helpers";
import { ADMIN_EMAIL, ADMIN_PASSWORD, logIn, waitForHydration } from "./helpers";

// Metrics: a chat is taken and answered; the admin's page counts it for the operator, lists the
// session, and refuses a range that runs backwards.
test.describe.configure({ mode: "serial" });
test.afterEach(endOfTest);

test("an admin reads an operator's figures for the last week and picks other days", async ({ browser }) => {
  const stamp = Date.now();
  const operator = `Mona Metrics ${stamp}`;
  const manager = await managerPage(browser, await newManager(browser, operator));
  const client = await clientPage(browser, "Nils Numbers");
  const title = `Measured ${stamp}`;
  await startChat(client, "A general question", title, "How long do you take?");
  await chatLink(manager.getByRole("region", { name: "Waiting" }), title).click();
  await manager.getByRole("button", { name: "Accept" }).click();
  await expect(composer(manager)).toBeVisible();
  await send(manager, "Not long at all.");

  const admin = await (await ownContext(browser)).newPage();
  await logIn(admin, ADMIN_EMAIL, ADMIN_PASSWORD);
  await waitForHydration(admin);
  await admin.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Metrics" }).click();
  await expect(admin.getByRole("heading", { name: "Metrics", level: 1 })).toBeVisible();
  const byOperator = admin.getByRole("table", { name: "By operator" });
  const mine = byOperator.getByRole("row", { name: new RegExp(operator) });
  // Sessions 1, taken 1, and a first response time.
  await expect(mine.getByRole("cell").nth(0)).toHaveText("1");
  await expect(mine.getByRole("cell").nth(1)).toHaveText("1");
  await expect(mine.getByRole("cell").nth(4)).not.toHaveText("—");
  const session = admin.getByRole("table", { name: "Sessions" }).getByRole("row", { name: new RegExp(title) });
  await expect(session).toContainText(operator);
  await expect(session).toContainText("open");

  // Other days: nothing then; a range that runs backwards is refused with the reason.
  const range = admin.getByRole("form", { name: "Range" });
  await range.getByLabel("From").fill("2026-01-01");
  await range.getByLabel("To").fill("2026-01-02");
  await range.getByRole("button", { name: "Show" }).click();
  await expect(admin.getByText("2026-01-01 to 2026-01-02")).toBeVisible();
  await expect(admin.getByRole("table", { name: "In total" }).getByRole("row", { name: /All queues/ }).getByRole("cell").nth(0)).toHaveText("0");
  await range.getByLabel("From").fill("2026-01-05");
  await range.getByRole("button", { name: "Show" }).click();
  await expect(admin.getByText("The first day must not be after the last.")).toBeVisible();
});
