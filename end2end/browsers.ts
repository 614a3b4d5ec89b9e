// The browsers the suite drives: Debian's Chromium and Firefox ESR. Playwright never downloads one
// here. Firefox is driven over WebDriver BiDi (the "moz-firefox" channel), which works with stock
// Firefox; Playwright 1.65 asks it for `emulation.setMediaFeaturesOverride`, which Firefox ESR 153
// does not know, so the suite stays on 1.64 until it does.
import type { LaunchOptions } from "@playwright/test";

export const CHROMIUM: LaunchOptions = {
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
  ],
};

export const FIREFOX: LaunchOptions = {
  executablePath: process.env.FIREFOX_PATH ?? "/usr/bin/firefox-esr",
  firefoxUserPrefs: {
    // No update checks, telemetry or remote settings: the machine has no network beyond loopback.
    "app.update.enabled": false,
    "datareporting.policy.dataSubmissionEnabled": false,
    "toolkit.telemetry.enabled": false,
    "network.captive-portal-service.enabled": false,
    "browser.safebrowsing.malware.enabled": false,
    "browser.safebrowsing.phishing.enabled": false,
  },
};
