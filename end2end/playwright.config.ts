import { defineConfig } from "@playwright/test";

// The README's test command starts the server and passes BASE_URL. The browser is Debian's
// Chromium: Playwright never downloads one here.
export default defineConfig({
  testDir: "./tests",
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  use: {
    baseURL: process.env.BASE_URL ?? "http://127.0.0.1:3000",
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    },
  },
  projects: [
    { name: "hydrated", use: { javaScriptEnabled: true }, testIgnore: /no-js\.spec\.ts/ },
    { name: "no-javascript", use: { javaScriptEnabled: false }, testMatch: /no-js\.spec\.ts/ },
  ],
});
