import { expect, test } from "@playwright/test";
import { signUp, uniqueEmail } from "./helpers";

// The same flows with JavaScript off: plain HTML forms posting to the server functions.
test("without JavaScript: sign up, log out, log in, and see errors", async ({ page }) => {
  const email = uniqueEmail("nojs");
  await signUp(page, email, "Nora NoScript", "nojs-password-1", false);
  await expect(page.getByRole("heading", { name: "My chats" })).toBeVisible();

  await page.getByRole("button", { name: "Log out" }).click();
  await expect(page).toHaveURL(/\/login/);

  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill("wrong-password-1");
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByRole("alert")).toHaveText("Wrong email or password.");

  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill("nojs-password-1");
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByRole("heading", { name: "My chats" })).toBeVisible();
});
