// Runs before every test: the login page must hydrate in each browser the suite uses. A release
// bundle that does not start (a bad wasm-opt, a missing file, a panic at start) fails here with
// what the page said, instead of every test timing out on its own.
import { Browser, chromium, firefox } from "@playwright/test";
import { CHROMIUM, FIREFOX } from "./browsers";

const HYDRATE_WITHIN_MS = 8_000;

async function frontEndStarts(name: string, launch: () => Promise<Browser>, url: string) {
  const browser = await launch();
  const problems: string[] = [];
  try {
    const page = await browser.newPage();
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(`console error: ${m.text().slice(0, 300)}`);
    });
    page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()} (${r.failure()?.errorText})`));
    const answer = await page.goto(url);
    if (!answer || answer.status() !== 200) {
      throw new Error(`${url} answered ${answer?.status() ?? "nothing"}`);
    }
    const hydrated = await page
      .waitForSelector("body[data-hydrated]", { state: "attached", timeout: HYDRATE_WITHIN_MS })
      .then(() => true)
      .catch(() => false);
    if (!hydrated || problems.length > 0) {
      throw new Error(
        [
          `The front end did not start in ${name}: ${url} ` +
            (hydrated ? "hydrated, but reported errors" : `was not hydrated within ${HYDRATE_WITHIN_MS / 1000} s`) +
            " (no body[data-hydrated]).",
          ...problems.map((p) => `  ${p}`),
          "Every browser test needs a working bundle; fix this first (README: 'The release bundle and wasm-opt').",
        ].join("\n"),
      );
    }
  } finally {
    await browser.close();
  }
}

export default async function globalSetup() {
  const url = new URL("/login", process.env.BASE_URL ?? "http://127.0.0.1:3000").toString();
  await frontEndStarts("Chromium", () => chromium.launch(CHROMIUM), url);
  await frontEndStarts("Firefox", () => firefox.launch({ ...FIREFOX, channel: "moz-firefox" }), url);
}
