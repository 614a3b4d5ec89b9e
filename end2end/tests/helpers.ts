import { expect, Page } from "@playwright/test";

export const ADMIN_EMAIL = process.env.ADMIN_EMAIL ?? "admin@e2e.test";
export const ADMIN_PASSWORD = process.env.ADMIN_PASSWORD ?? "admin-password-1";

export function uniqueEmail(prefix: string): string {
  return `${prefix}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@e2e.test`;
}

/** Waits until the WASM bundle has hydrated the page (the app marks <body> when it has). */
export async function waitForHydration(page: Page) {
  await expect(page.locator("body[data-hydrated]")).toHaveCount(1);
}

export async function logIn(page: Page, email: string, password: string) {
  await page.goto("/login");
  await waitForHydration(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
}

/** Fills and sends the signup form; with JavaScript off there is no hydration to wait for. */
export async function signUp(page: Page, email: string, name: string, password: string, hydrated = true) {
  await page.goto("/signup");
  if (hydrated) await waitForHydration(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Display name").fill(name);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign up" }).click();
}

export async function logOut(page: Page) {
  const menu = page.getByRole("button", { name: "Menu" });
  if (await menu.isVisible()) await menu.click();
  await page.getByRole("button", { name: "Log out" }).click();
  await expect(page).toHaveURL(/\/login/);
}

type NewUserRole = "manager" | "admin" | "client";

/** An admin (already logged in on `page`) creates an account with the given role. */
export async function createUser(page: Page, email: string, name: string, password: string, role: NewUserRole) {
  await page.goto("/admin/users");
  await waitForHydration(page);
  await submitNewUser(page, email, name, password, role);
}

/** Fills and sends the users page's "Create user" form (the page is open), until it confirms. */
export async function submitNewUser(page: Page, email: string, name: string, password: string, role: NewUserRole) {
  const form = page.getByRole("form", { name: "Create user" });
  await form.getByLabel("Email").fill(email);
  await form.getByLabel("Display name").fill(name);
  await form.getByLabel("Initial password").fill(password);
  await form.getByLabel("Role").selectOption(role);
  await form.getByRole("button", { name: "Create user" }).click();
  await expect(page.getByText(`Created ${email}`)).toBeVisible();
}
