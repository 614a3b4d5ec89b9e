import { expect, test } from "@playwright/test";
import { ADMIN_EMAIL, ADMIN_PASSWORD, logIn, logOut, signUp, submitNewUser, uniqueEmail, waitForHydration } from "./helpers";

test.describe.configure({ mode: "serial" });

test("a client signs up, lands in the chat layout, logs out and logs in again", async ({ page }) => {
  const email = uniqueEmail("client");
  await signUp(page, email, "Clara Client", "client-password-1");

  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole("heading", { name: "My chats" })).toBeVisible();
  const userMenu = page.getByRole("region", { name: "User menu" });
  await expect(userMenu).toContainText("Clara Client");
  await expect(userMenu).toContainText("Client");

  await logOut(page);
  await logIn(page, email, "client-password-1");
  await expect(page.getByRole("heading", { name: "My chats" })).toBeVisible();
});

test("the app runs under its Content-Security-Policy without a single violation", async ({ page }) => {
  const violations: string[] = [];
  page.on("console", (msg) => {
    if (/Content Security Policy|Content-Security-Policy/i.test(msg.text())) violations.push(msg.text());
  });
  await page.exposeFunction("reportViolation", (v: string) => violations.push(v));
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) =>
      (window as unknown as { reportViolation: (v: string) => void }).reportViolation(
        `${e.violatedDirective} ${e.blockedURI}`,
      ),
    );
  });
  const response = await page.goto("/signup");
  expect(response?.headers()["content-security-policy"]).toContain("frame-ancestors 'none'");
  await waitForHydration(page);
  await signUp(page, uniqueEmail("csp"), "Cy Policy", "client-password-1");
  await expect(page.getByRole("heading", { name: "My chats" })).toBeVisible();
  // A hydrated page reacts: the new-chat page opens by client-side navigation.
  await page.goto("/chats/new");
  await waitForHydration(page);
  expect(violations).toEqual([]);
});

test("bad signup input is shown next to its field", async ({ page }) => {
  await page.goto("/signup");
  await waitForHydration(page);
  await page.getByLabel("Email").fill("not-an-email");
  await page.getByLabel("Display name").fill("Someone");
  await page.getByLabel("Password", { exact: true }).fill("short");
  await page.getByRole("button", { name: "Sign up" }).click();
  await expect(page.locator("#signup-email-error")).toHaveText(/valid email/);
  await page.getByLabel("Email").fill(uniqueEmail("short"));
  await page.getByRole("button", { name: "Sign up" }).click();
  await expect(page.locator("#signup-password-error")).toHaveText("Use at least 12 characters.");
  await expect(page).toHaveURL(/\/signup/);
});

test("a wrong password is refused with a clear message", async ({ page }) => {
  await logIn(page, ADMIN_EMAIL, "definitely-wrong");
  await expect(page.getByRole("alert")).toHaveText("Wrong email or password.");
});

test("an admin creates a manager, who logs in and sees the operator view", async ({ page }) => {
  const email = uniqueEmail("manager");
  await logIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await expect(page.getByRole("heading", { name: "Operator console" })).toBeVisible();
  await page.getByRole("link", { name: "Users" }).click();
  await expect(page.getByRole("heading", { name: "Users", exact: true })).toBeVisible();

  await submitNewUser(page, email, "Max Manager", "manager-password-1", "manager");
  await expect(page.getByText(`Created ${email} (Deal manager).`)).toBeVisible();
  await expect(page.getByRole("cell", { name: email, exact: true })).toBeVisible();

  await logOut(page);
  await logIn(page, email, "manager-password-1");
  await expect(page.getByRole("heading", { name: "Operator console" })).toBeVisible();
  await expect(page.getByRole("region", { name: "User menu" })).toContainText("Deal manager");
  await expect(page.getByRole("link", { name: "Users" })).toHaveCount(0);
});

test("hydration: the password toggle and the phone menu work in the browser", async ({ page }) => {
  await page.goto("/login");
  await waitForHydration(page);
  const password = page.getByLabel("Password", { exact: true });
  await expect(password).toHaveAttribute("type", "password");
  await page.getByRole("button", { name: "Show password" }).click();
  await expect(password).toHaveAttribute("type", "text");
  await expect(page.getByRole("button", { name: "Hide password" })).toHaveAttribute("aria-pressed", "true");

  await page.setViewportSize({ width: 375, height: 740 });
  await logIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  await expect(page.getByRole("heading", { name: "Operator console" })).toBeVisible();
  await waitForHydration(page);
  const menu = page.getByRole("button", { name: "Menu" });
  await expect(page.getByRole("button", { name: "Log out" })).toBeHidden();
  // The layout hydrates right after the page arrives; retry the click until its handler is live.
  await expect(async () => {
    await menu.click();
    await expect(menu).toHaveAttribute("aria-expanded", "true", { timeout: 1000 });
  }).toPass();
  await expect(page.getByRole("button", { name: "Log out" })).toBeVisible();
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(width).toBeLessThanOrEqual(375);
});

test("an anonymous visit to a protected page goes to the login page and back", async ({ page }) => {
  await page.goto("/admin/users");
  await expect(page).toHaveURL(/\/login\?next=%2Fadmin%2Fusers/);
  await waitForHydration(page);
  await page.getByLabel("Email").fill(ADMIN_EMAIL);
  await page.getByLabel("Password", { exact: true }).fill(ADMIN_PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).toHaveURL(/\/admin\/users$/);
  await expect(page.getByRole("heading", { name: "Users", exact: true })).toBeVisible();
});

test("a user changes their password and logs in with the new one", async ({ page }) => {
  const email = uniqueEmail("changer");
  await signUp(page, email, "Chang Er", "first-password-1");
  await expect(page.getByRole("heading", { name: "My chats" })).toBeVisible();

  await page.getByRole("link", { name: "Account" }).click();
  const form = page.getByRole("form", { name: "Change password" });
  await form.getByLabel("Current password").fill("not-my-password");
  await form.getByLabel("New password").fill("second-password-2");
  await form.getByRole("button", { name: "Change password" }).click();
  await expect(page.locator("#current-password-error")).toHaveText("The current password is wrong.");

  await form.getByLabel("Current password").fill("first-password-1");
  await form.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByRole("status")).toContainText("Password changed");

  await logOut(page);
  await logIn(page, email, "first-password-1");
  await expect(page.getByRole("alert")).toHaveText("Wrong email or password.");
  await logIn(page, email, "second-password-2");
  await expect(page.getByRole("heading", { name: "My chats" })).toBeVisible();
});

test("a user sees where they are signed in and signs out another device", async ({ page, browser }) => {
  const email = uniqueEmail("devices");
  await signUp(page, email, "Dev Ices", "device-password-1");
  await expect(page.getByRole("heading", { name: "My chats" })).toBeVisible();
  // A second device signs in.
  const other = await browser.newContext();
  const phone = await other.newPage();
  await logIn(phone, email, "device-password-1");
  await expect(phone.getByRole("heading", { name: "My chats" })).toBeVisible();

  await page.goto("/account");
  await waitForHydration(page);
  const table = page.locator("table.sessions");
  await expect(table.locator("tbody tr")).toHaveCount(2);
  await expect(table).toContainText("Current");
  await expect(table).toContainText("127.0.0.1");
  await table.getByRole("button", { name: /^Sign out / }).click();
  await expect(table.locator("tbody tr")).toHaveCount(1);

  // The other device is signed out: its next page asks it to log in.
  await phone.goto("/");
  await expect(phone).toHaveURL(/\/login/);
  await other.close();
});

/** The newest mail the server wrote for `to` (the embedded mail folder), decoded to text. */
async function newestMailTo(to: string, subject: string): Promise<string> {
  const fs = await import("node:fs");
  const path = await import("node:path");
  const dir = process.env.MAIL_DIR;
  if (!dir) throw new Error("MAIL_DIR is not set: run the browser tests with scripts/test.sh");
  for (let i = 0; i < 100; i++) {
    const names = fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.endsWith(".eml")).sort() : [];
    for (const name of names.reverse()) {
      const raw = fs.readFileSync(path.join(dir, name), "utf8").replace(/\r\n/g, "\n");
      const [head, ...rest] = raw.split("\n\n");
      if (!head.includes(`To: ${to}`) || !head.includes(subject)) continue;
      let body = rest.join("\n\n");
      if (/Content-Transfer-Encoding: base64/i.test(head)) body = Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8");
      if (/Content-Transfer-Encoding: quoted-printable/i.test(head))
        body = body.replace(/=\n/g, "").replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
      return body;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no mail "${subject}" to ${to}`);
}

test("a forgotten password is reset through the emailed link", async ({ page }) => {
  const email = uniqueEmail("forgot");
  await signUp(page, email, "Fora Gotten", "forgotten-password-1");
  await expect(page.getByRole("heading", { name: "My chats" })).toBeVisible();
  await logOut(page);

  await page.goto("/login");
  await waitForHydration(page);
  await page.getByRole("link", { name: "Forgot your password?" }).click();
  await expect(page.getByRole("heading", { name: "Reset your password" })).toBeVisible();
  await waitForHydration(page);
  await page.getByLabel("Email").fill(email);
  await page.getByRole("button", { name: "Send the link" }).click();
  await expect(page.getByRole("status")).toContainText("on its way");

  const mail = await newestMailTo(email, "Reset your dealchat password");
  const link = mail.match(/https?:\/\/\S+\/reset-password\?token=[A-Za-z0-9_-]+/)?.[0];
  expect(link).toBeTruthy();
  await page.goto(new URL(link!).pathname + new URL(link!).search);
  await waitForHydration(page);
  await page.getByLabel("New password", { exact: true }).fill("remembered-password-2");
  await page.getByRole("button", { name: "Set the new password" }).click();
  await expect(page).toHaveURL(/\/login\?reset=1/);
  await expect(page.getByRole("status")).toContainText("Your password is changed");
  await logIn(page, email, "remembered-password-2");
  await expect(page.getByRole("heading", { name: "My chats" })).toBeVisible();
});
