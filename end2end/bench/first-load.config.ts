// The first-load measurement (bench/first-load.bench.ts), run by `scripts/bench.sh --first-load`
// against the release server. A measuring program, not part of the test suite: it prints figures.
import { defineConfig } from "@playwright/test";
import { CHROMIUM } from "../browsers";

export default defineConfig({
  testDir: ".",
  testMatch: /first-load\.bench\.ts/,
  timeout: 10 * 60_000,
  workers: 1,
  reporter: [["line"]],
  use: {
    baseURL: process.env.BASE_URL ?? "http://127.0.0.1:3000",
    browserName: "chromium",
    launchOptions: CHROMIUM,
  },
});
