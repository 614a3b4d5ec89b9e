import { expect, type Page, test } from "@playwright/test";
import { chatLink, clientPage, endOfTest, managerPage, newManager, send, startChat } from "./chat-helpers";
import { ADMIN_EMAIL, ADMIN_PASSWORD, logIn, waitForHydration } from "./helpers";

// The CRM page on a server of its own (`CRM_BASE_URL`, started by scripts/test.sh with its Zoho
// addresses pointing at the Zoho stand-in, tests/fakes/zoho_fake.py): connecting there must not
// move the other tests' deals to another CRM.
const CRM_BASE_URL = process.env.CRM_BASE_URL;
if (!CRM_BASE_URL) throw new Error("CRM_BASE_URL is not set: run the browser tests with scripts/test.sh");
test.use({ baseURL: CRM_BASE_URL });
test.afterEach(endOfTest);

test("an admin connects Zoho through its consent page, maps the deal stages and disconnects", async ({ page }) => {
  await logIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await waitForHydration(page);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "CRM" }).click();
  await expect(page.getByRole("heading", { name: "CRM", level: 1 })).toBeVisible();
  await expect(page.getByText("The app works with the built-in CRM.")).toBeVisible();
  await expect(page.getByRole("region", { name: "Sync log" })).toContainText("Nothing was sent to the CRM yet.");

  const form = page.getByRole("form", { name: "Connect Zoho CRM" });
  await expect(form.getByText(`${CRM_BASE_URL}/admin/crm/zoho/callback`)).toBeVisible();
  // Zoho's consent page (the stand-in's), then back to the CRM page.
  await connectZoho(page);
  await expect(page.getByRole("status").filter({ hasText: "Zoho is connected." })).toBeVisible();
  await expect(page.getByText("The app works with Zoho CRM.")).toBeVisible();
  const zoho = page.getByRole("region", { name: "Zoho" });
  await expect(zoho.getByText("Connected", { exact: true })).toBeVisible();
  await expect(zoho).toContainText("zoho.admin@example.com");

  // Deal stages: the organisation's own list, both ways; a change is kept.
  const stages = page.getByRole("form", { name: "Deal stages" });
  await expect(stages.getByLabel("Negotiation in the CRM")).toHaveValue("Negotiation/Review");
  await expect(stages.getByLabel("Closed Lost means here")).toHaveValue("");
  await stages.getByLabel("Negotiation in the CRM").selectOption("Value Proposition");
  await stages.getByRole("button", { name: "Save stages" }).click();
  await expect(stages.getByText("Stages saved.")).toBeVisible();
  await page.reload();
  await waitForHydration(page);
  await expect(
    page.getByRole("form", { name: "Deal stages" }).getByLabel("Negotiation in the CRM"),
  ).toHaveValue("Value Proposition");

  // Disconnecting asks first, then goes back to the built-in CRM.
  await page.getByRole("region", { name: "Zoho" }).getByRole("button", { name: "Disconnect" }).click();
  const confirm = page.getByRole("group", { name: "Confirm disconnect" });
  await expect(confirm).toContainText("revokes its access at Zoho");
  await confirm.getByRole("button", { name: "Disconnect Zoho" }).click();
  await expect(page.getByText("The app works with the built-in CRM.")).toBeVisible();
  await expect(page.getByRole("form", { name: "Connect Zoho CRM" })).toBeVisible();
  await expect(page.getByRole("form", { name: "Deal stages" })).toHaveCount(0);
});

/** Connects Zoho from the CRM page (the stand-in's consent page), and waits for the page again. */
async function connectZoho(page: Page) {
  const form = page.getByRole("form", { name: "Connect Zoho CRM" });
  await form.getByLabel("Data centre").selectOption("eu");
  await form.getByLabel("Client ID").fill("1000.FAKECLIENT0001");
  await form.getByLabel("Client secret").fill("fake-client-secret");
  await form.getByRole("button", { name: "Connect with Zoho" }).click();
  await expect(page).toHaveTitle(/Zoho Accounts/);
  await page.getByRole("button", { name: "Accept" }).click();
  await expect(page).toHaveURL(/\/admin\/crm\?zoho=connected$/);
  await waitForHydration(page);
}

/** The CRM page, loaded afresh (the sync log and the dry run's chats are read on load). */
async function crmPage(page: Page) {
  await page.goto("/admin/crm");
  await waitForHydration(page);
}

test("support rules: the dry run's plan, then the Contact and the Case in the sync log when the operator ends the chat", async ({ page, browser }) => {
  await logIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await expect(page.getByRole("heading", { name: "Operator console" })).toBeVisible();
  await crmPage(page);
  await connectZoho(page);
  const rules = page.getByRole("region", { name: "Connector rules" });
  await rules.getByLabel("Client chats").selectOption("support");
  await rules.getByLabel("A client found in the CRM").selectOption("fill_empty");
  await rules.getByRole("button", { name: "Save rules" }).click();
  await expect(rules.getByText("Rules saved.")).toBeVisible();

  const title = `Loft ${Date.now()}`;
  const managerEmail = await newManager(browser, "Cora Case");
  const manager = await managerPage(browser, managerEmail);
  const client = await clientPage(browser, "Dora Client");
  await startChat(client, "A new project", title, "We want a loft.");
  const chatId = client.url().match(/\/chats\/(\d+)$/)![1];
  await chatLink(manager.getByRole("region", { name: "Waiting" }), title).click();
  await manager.getByRole("button", { name: "Accept" }).click();
  await send(manager, "Plans follow next week.");

  // The client's contact is made when the chat starts.
  const log = page.getByRole("region", { name: "Sync log" });
  // (Two lines when the deal and the chat start both reached Zoho first: one contact all the same.)
  const contactLine = log.getByRole("row").filter({ hasText: "Created the Contact" }).first();
  await expect(async () => {
    await crmPage(page);
    await expect(contactLine).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
  const contactId = (await contactLine.textContent())!.match(/Contacts\s*(\d+)/)![1];

  // The dry run on this chat, before the session closes: that contact, and a case to create.
  await rules.getByLabel("Chat", { exact: true }).selectOption(chatId);
  await rules.getByRole("button", { name: "Try the rules" }).click();
  const plan = rules.getByRole("table", { name: "Dry run" });
  const planContact = plan.getByRole("row").filter({ hasText: `Contact (${contactId})` });
  await expect(planContact).toContainText("the Contact recorded for this client");
  const planCase = plan.getByRole("row").filter({ hasText: "when this open session closes" });
  await expect(planCase).toContainText("Case");
  await expect(planCase).toContainText("Create");
  // No Zoho user has the agent's email: the owner is the user who connected Zoho.
  await expect(planCase).toContainText("zoho.admin@example.com");
  await expect(planCase).toContainText("Plans follow next week.");

  // The operator ends the chat: the case reaches Zoho and the sync log says so.
  await manager.getByRole("button", { name: "End chat" }).click();
  const end = manager.getByRole("form", { name: "End chat" });
  await end.getByLabel("Wrap-up note (optional)").fill("Plans next week.");
  await end.getByRole("button", { name: "End chat" }).click();
  const caseLine = log.getByRole("row").filter({ hasText: "Created the Case" });
  await expect(async () => {
    await crmPage(page);
    await expect(caseLine).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
  await expect(caseLine).toContainText("Cases");
  await expect(caseLine).toContainText("done");
  await expect(contactLine).toContainText(contactId);

  // Beside the chat, its staff read the client's contact in Zoho and what was sent for the chat.
  await manager.reload();
  await waitForHydration(manager);
  const beside = manager.getByRole("region", { name: "CRM" });
  await expect(beside).toContainText(`Contact ${contactId}`);
  await expect(beside.getByRole("link", { name: "Open in Zoho CRM" })).toHaveAttribute("href", new RegExp(`/tab/Contacts/${contactId}$`));
  await expect(beside.getByRole("list", { name: "CRM sync" })).toContainText("Created the Case");

  // Back to the built-in CRM, as the other tests expect.
  await page.getByRole("region", { name: "Zoho" }).getByRole("button", { name: "Disconnect" }).click();
  await page.getByRole("group", { name: "Confirm disconnect" }).getByRole("button", { name: "Disconnect Zoho" }).click();
  await expect(page.getByText("The app works with the built-in CRM.")).toBeVisible();
});

test("manual rules: the operator creates the client's Lead and the session's Task from the chat", async ({ page, browser }) => {
  await logIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await expect(page.getByRole("heading", { name: "Operator console" })).toBeVisible();
  await crmPage(page);
  await connectZoho(page);
  const rules = page.getByRole("region", { name: "Connector rules" });
  await rules.getByLabel("Client chats").selectOption("manual");
  await rules.getByRole("button", { name: "Save rules" }).click();
  await expect(rules.getByText("Rules saved.")).toBeVisible();

  const title = `Porch ${Date.now()}`;
  const manager = await managerPage(browser, await newManager(browser, "Lena Lead"));
  const client = await clientPage(browser, "Mona Client");
  await startChat(client, "A new project", title, "We want a porch.");
  await chatLink(manager.getByRole("region", { name: "Waiting" }), title).click();
  await manager.getByRole("button", { name: "Accept" }).click();
  await send(manager, "A porch of oak, then.");

  // No lead or task was made by itself (the deal's contact may be there: the deal sync makes
  // one); the operator asks for the lead, then for this session's task.
  const beside = manager.getByRole("region", { name: "CRM" });
  const create = beside.getByRole("group", { name: "Create in the CRM" });
  await expect(create.getByRole("button", { name: "Create task" })).toBeVisible();
  await create.getByRole("button", { name: "Create lead" }).click();
  const held = beside.getByRole("list", { name: "In the CRM" });
  await expect(held.getByRole("link", { name: /^Lead \d+ · the client$/ })).toHaveAttribute("href", /\/tab\/Leads\/\d+$/, { timeout: 20_000 });
  await expect(create.getByRole("button", { name: "Create lead" })).toHaveCount(0);
  await create.getByRole("button", { name: "Create task" }).click();
  await expect(held.getByRole("link", { name: /^Task \d+ · session of / })).toBeVisible({ timeout: 20_000 });
  await expect(create.getByRole("button", { name: "Create task" })).toHaveCount(0);
  await expect(beside.getByRole("list", { name: "CRM sync" })).toContainText("Created the Task");

  await crmPage(page);
  await page.getByRole("region", { name: "Zoho" }).getByRole("button", { name: "Disconnect" }).click();
  await page.getByRole("group", { name: "Confirm disconnect" }).getByRole("button", { name: "Disconnect Zoho" }).click();
  await expect(page.getByText("The app works with the built-in CRM.")).toBeVisible();
});
