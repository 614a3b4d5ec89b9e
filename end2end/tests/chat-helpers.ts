// What the chat specs share: people in their own browser contexts, starting chats, and the
// parts of the chat page the tests look at.
import { Browser, BrowserContext, expect, Locator, Page } from "@playwright/test";
import { ADMIN_EMAIL, ADMIN_PASSWORD, createUser, logIn, signUp, uniqueEmail, waitForHydration } from "./helpers";

export const MANAGER_PASSWORD = "manager-password-1";

// A panic in the WebAssembly front end leaves a page that looks fine but no longer updates;
// every page of these tests reports panics, and a test with one fails. The release bundle aborts
// on a panic without a message (`panic = "immediate-abort"`): the browser reports the trap as an
// uncaught error ("unreachable").
const panics: string[] = [];
export function watchForPanics(page: Page) {
  page.on("pageerror", (error) => {
    // Firefox reports its own favicon request, blocked on the plain pages' strict policy, as a
    // page error too; the policy has its own test (auth.spec.ts).
    if (/blocked the loading of a resource/.test(error.message)) return;
    panics.push(`page error: ${error.message.slice(0, 400)}`);
  });
  page.on("console", (message) => {
    const text = message.text();
    // A hydration panic is preceded by the framework's report of where the DOM differed.
    if (message.type() === "error" && (text.includes("panicked") || text.includes("hydration error"))) {
      panics.push(text.slice(0, 400));
    }
  });
}
export function expectNoPanics() {
  const seen = panics.splice(0);
  expect(seen, "panics in the browser").toEqual([]);
}

// Contexts made from the shared `browser` outlive their test unless closed: each keeps its pages
// running (their long-polls, their timers), and Firefox slowed to a crawl under a suite's worth
// of them (a 3 s test took 45 s at the end of the run, and one ran past its time limit in CI).
const openContexts: BrowserContext[] = [];
export async function ownContext(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext();
  openContexts.push(context);
  return context;
}
export async function closeContexts() {
  await Promise.all(openContexts.splice(0).map((context) => context.close()));
}
/** After each test: no panics were seen, and every context the test opened is closed. */
export async function endOfTest() {
  try {
    expectNoPanics();
  } finally {
    await closeContexts();
  }
}
export const CLIENT_PASSWORD = "client-password-1";

/** A fresh manager, created by the admin in a throw-away context. */
export async function newManager(browser: Browser, name: string): Promise<string> {
  const email = uniqueEmail("manager");
  const context = await ownContext(browser);
  const admin = await context.newPage();
  await logIn(admin, ADMIN_EMAIL, ADMIN_PASSWORD);
  await expect(admin.getByRole("heading", { name: "Operator console" })).toBeVisible();
  await createUser(admin, email, name, MANAGER_PASSWORD, "manager");
  await context.close();
  return email;
}

export async function managerPage(browser: Browser, email: string): Promise<Page> {
  const page = await (await ownContext(browser)).newPage();
  watchForPanics(page);
  await logIn(page, email, MANAGER_PASSWORD);
  await expect(page.getByRole("heading", { name: "Operator console" })).toBeVisible();
  await waitForHydration(page);
  return page;
}

export async function clientPage(browser: Browser, name: string): Promise<Page> {
  const page = await (await ownContext(browser)).newPage();
  watchForPanics(page);
  await signUp(page, uniqueEmail("client"), name, CLIENT_PASSWORD);
  await expect(page.getByRole("heading", { name: "My chats" })).toBeVisible();
  await waitForHydration(page);
  return page;
}

export async function startChat(
  page: Page,
  topic: "A new project" | "A general question",
  title: string,
  body: string,
  channel?: string,
) {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "New chat" }).click();
  const form = page.getByRole("form", { name: "New chat" });
  await form.getByRole("radio", { name: topic }).check();
  if (channel) await form.getByRole("group", { name: "Channel" }).getByRole("radio", { name: channel }).check();
  await form.getByLabel("Title or subject").fill(title);
  await form.getByLabel("First message").fill(body);
  await form.getByRole("button", { name: "Start chat" }).click();
  await expect(page).toHaveURL(/\/chats\/\d+$/);
  await expect(page.getByRole("heading", { name: title, level: 1 })).toBeVisible();
}

export const messages = (page: Page) => page.getByRole("list", { name: "Messages" });
export const composer = (page: Page) => page.getByRole("textbox", { name: "Message" });
export const stepper = (page: Page) => page.getByRole("list", { name: "Deal stage" });
export const sidebarChats = (page: Page) => page.getByRole("navigation", { name: "Chats" });

export async function send(page: Page, text: string) {
  await composer(page).fill(text);
  await composer(page).press("Enter");
  await expect(messages(page).getByText(text, { exact: true })).toBeVisible();
}

/** The link of one chat in a list; its accessible name carries the unread count. */
export function chatLink(list: Locator, title: string): Locator {
  return list.getByRole("link", { name: new RegExp(title) });
}

