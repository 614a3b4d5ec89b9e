import { expect, test } from "@playwright/test";
import { endOfTest } from "./chat-helpers";
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
  await form.getByLabel("Data centre").selectOption("eu");
  await form.getByLabel("Client ID").fill("1000.FAKECLIENT0001");
  await form.getByLabel("Client secret").fill("fake-client-secret");
  await form.getByRole("button", { name: "Connect with Zoho" }).click();

  // Zoho's consent page (the stand-in's), then back to the CRM page.
  await expect(page).toHaveTitle(/Zoho Accounts/);
  await page.getByRole("button", { name: "Accept" }).click();
  await expect(page).toHaveURL(/\/admin\/crm\?zoho=connected$/);
  await waitForHydration(page);
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
