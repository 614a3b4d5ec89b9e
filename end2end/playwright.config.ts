import { defineConfig } from "@playwright/test";
import { CHROMIUM, FIREFOX } from "./browsers";

// The README's test command builds the release site (what `scripts/run.sh` serves), starts it and
// passes BASE_URL. Before any test, global-setup checks that the front end starts in each browser.
export default defineConfig({
  testDir: "./tests",
  globalSetup: "./global-setup.ts",
  timeout: 60_000,
  // The whole suite, so a stuck run ends with a report well inside CI's limit.
  globalTimeout: 30 * 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  use: {
    baseURL: process.env.BASE_URL ?? "http://127.0.0.1:3000",
    trace: "retain-on-failure",
  },
  projects: [
    {
      name: "chromium",
      use: { browserName: "chromium", javaScriptEnabled: true, launchOptions: CHROMIUM },
      testIgnore: /no-js\.spec\.ts/,
    },
    {
      name: "no-javascript",
      use: { browserName: "chromium", javaScriptEnabled: false, launchOptions: CHROMIUM },
      testMatch: /no-js\.spec\.ts/,
    },
    // The core client/manager chat flows, the upload and the internal chats, in a second engine.
    // Firefox over BiDi runs these flows about four times slower than Chromium here, hence its
    // own time limit.
    {
      name: "firefox",
      timeout: 180_000,
      use: { browserName: "firefox", channel: "moz-firefox", launchOptions: FIREFOX },
      testMatch: /(chat|files|internal-chats)\.spec\.ts/,
    },
  ],
});
