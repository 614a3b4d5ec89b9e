import { Browser, expect, Locator, Page, test } from "@playwright/test";
import { createHash, randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { newManager, managerPage, clientPage, startChat, messages, composer, chatLink, endOfTest } from "./chat-helpers";

// Documents and payments in the deal chat: a shared quotation decided by the client, a payment
// request paid in the TEST checkout, and a large upload into the deal's folder that the manager
// downloads intact. Client and manager have their own contexts.
test.describe.configure({ mode: "serial" });
test.afterEach(endOfTest);

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");
const dealFiles = (page: Page) => page.getByRole("region", { name: "Deal files" });

/** How many lines an element's text is laid out on (its text boxes' distinct tops). */
const textLines = (element: Locator) =>
  element.evaluate((el) => {
    const range = document.createRange();
    range.selectNodeContents(el);
    return new Set(Array.from(range.getClientRects(), (r) => Math.round(r.top))).size;
  });

async function acceptedProjectChat(browser: Browser, title: string): Promise<[Page, Page]> {
  const managerEmail = await newManager(browser, "Max Manager");
  const manager = await managerPage(browser, managerEmail);
  const client = await clientPage(browser, "Clara Client");
  await startChat(client, "A new project", title, "We need a quotation.");
  const waiting = manager.getByRole("region", { name: "Waiting" });
  await chatLink(waiting, title).click();
  await manager.getByRole("button", { name: "Accept" }).click();
  await expect(composer(manager)).toBeVisible();
  return [manager, client];
}

test("a shared quotation is accepted once, a payment request is paid in the TEST checkout, and a 50 MiB upload reaches the manager intact", async ({ browser }, testInfo) => {
  // Firefox over BiDi runs this flow (and its 50 MiB upload) several times slower.
  test.setTimeout(testInfo.project.name === "firefox" ? 360_000 : 120_000);
  const [manager, client] = await acceptedProjectChat(browser, `Warehouse ${Date.now()}`);

  // The manager attaches a PDF and sends it with "#q quotation v1".
  const pdf = Buffer.from("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n");
  await manager.getByLabel("Attach files to share").setInputFiles({
    name: "quotation.pdf",
    mimeType: "application/pdf",
    buffer: pdf,
  });
  await expect(manager.getByRole("list", { name: "Files to share" })).toContainText("quotation.pdf");
  await composer(manager).fill("#q quotation v1");
  await composer(manager).press("Enter");

  // The client gets an offer card with Accept and Reject; the marker is not shown.
  // Cards are groups named after what they offer, found the way a screen reader finds them.
  const clientCard = messages(client).getByRole("group", { name: "Offer: quotation v1" });
  await expect(clientCard).toBeVisible();
  await expect(clientCard.getByRole("link", { name: "Download quotation.pdf" })).toBeVisible();
  await expect(clientCard.getByRole("button", { name: "Reject" })).toBeVisible();
  // Each button's label stays on one line ("Reject" used to break into "Reje" / "ct").
  for (const name of ["Accept", "Reject"]) {
    expect(await textLines(clientCard.getByRole("button", { name })), name).toBe(1);
  }
  await expect(messages(client)).not.toContainText("#q");
  const managerCard = messages(manager).getByRole("group", { name: "Offer: quotation v1" });
  await expect(managerCard).toContainText("Waiting for the client's decision");
  await expect(managerCard.getByRole("button", { name: "Accept" })).toHaveCount(0);

  // The client accepts; both see it without a reload, and the buttons are gone.
  await clientCard.getByRole("button", { name: "Accept" }).click();
  await expect(clientCard.locator(".offer-status")).toHaveText("Accepted");
  await expect(clientCard.getByRole("button")).toHaveCount(0);
  await expect(managerCard.locator(".offer-status")).toHaveText("Accepted");
  await expect(messages(manager).getByText("Clara Client accepted “quotation v1”.")).toBeVisible();

  // The manager asks for 1,500 EUR; the client pays in the TEST checkout; both see it paid.
  await composer(manager).fill("#p 1500 EUR");
  await composer(manager).press("Enter");
  const clientPay = messages(client).getByRole("group", { name: "Payment request: 1,500 EUR" });
  await expect(clientPay).toContainText("TEST");
  await expect(clientPay).toContainText("Awaiting payment");
  const managerPay = messages(manager).getByRole("group", { name: "Payment request: 1,500 EUR" });
  await expect(managerPay).toContainText("Awaiting payment");
  await expect(managerPay.getByRole("button", { name: /^Pay/ })).toHaveCount(0);
  await expect(messages(manager)).not.toContainText("#p");
  await clientPay.getByRole("button", { name: "Pay 1,500 EUR" }).click();
  await expect(client).toHaveURL(/\/pay\/test\/tcs_/);
  await expect(client.getByText("TEST MODE")).toBeVisible();
  await client.getByRole("button", { name: "Pay 1,500 EUR" }).click();
  await expect(client).toHaveURL(/\/chats\/\d+$/);
  const paidCard = messages(client).getByRole("group", { name: "Payment request: 1,500 EUR" });
  await expect(paidCard.locator(".payment-status")).toHaveText("Paid");
  await expect(paidCard.getByRole("button")).toHaveCount(0);
  await expect(managerPay.locator(".payment-status")).toHaveText("Paid");
  for (const page of [client, manager]) {
    await expect(messages(page).getByText("Payment of 1,500 EUR paid.")).toBeVisible();
  }

  // The client uploads 50 MiB into the deal's folder and watches it progress.
  // (Playwright hands over files this big by path only.)
  const big = randomBytes(50 * 1024 * 1024);
  const bigPath = testInfo.outputPath("site-survey.zip");
  await writeFile(bigPath, big);
  await dealFiles(client).locator('input[type="file"]').setInputFiles(bigPath);
  await expect(dealFiles(client).getByRole("progressbar", { name: "Uploading site-survey.zip" })).toBeVisible();
  const clientLink = dealFiles(client).getByRole("link", { name: "Download site-survey.zip" });
  await expect(clientLink).toBeVisible({ timeout: 60_000 });
  await expect(dealFiles(client).getByRole("progressbar")).toHaveCount(0);

  // The manager's panel lists it without a reload; the download is byte for byte the same.
  const managerLink = dealFiles(manager).getByRole("link", { name: "Download site-survey.zip" });
  await expect(managerLink).toBeVisible();
  const [download] = await Promise.all([manager.waitForEvent("download"), managerLink.click()]);
  expect(download.suggestedFilename()).toBe("site-survey.zip");
  const path = await download.path();
  expect(sha256(await readFile(path))).toBe(sha256(big));
});

test("a chat without a deal shows the deal files panel disabled", async ({ browser }) => {
  const client = await clientPage(browser, "Quinn Question");
  await startChat(client, "A general question", `Opening hours ${Date.now()}`, "When are you open?");
  const panel = dealFiles(client);
  await expect(panel.getByText("Files can be added once this chat has a deal.")).toBeVisible();
  await expect(panel.getByRole("button", { name: "Upload files" })).toBeDisabled();
});
