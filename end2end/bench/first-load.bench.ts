// First load on a slow phone: each page is opened RUNS times in a fresh browser context (nothing
// cached), with the CPU slowed 4× and DevTools' "Fast 3G" network (562.5 ms round trip, 1.44 Mbit/s
// down, 675 kbit/s up), and reports per page: bytes transferred (all, and WASM + JS), first
// contentful paint, hydrated (the app marks `<body data-hydrated>`) and, on the chat page, a key
// typed into the composer and sent until the message shows. Median and max.
import { Browser, expect, Page, test } from "@playwright/test";
import { CLIENT_PASSWORD, composer, messages, startChat } from "../tests/chat-helpers";
import { signUp, uniqueEmail, waitForHydration } from "../tests/helpers";

const RUNS = Number(process.env.RUNS ?? 5);
const FAST_3G = { offline: false, latency: 562.5, downloadThroughput: 180_000, uploadThroughput: 84_375 };
const CPU_SLOWDOWN = 4;

type Sample = { bytes: number; bundleBytes: number; paint: number; hydrated: number; sent?: number };

// Records, in the page's own clock, when `<body data-hydrated>` appears.
const HYDRATION_WATCH = () => {
  const w = window as unknown as { __hydratedAt?: number };
  new MutationObserver((_, observer) => {
    if (document.body?.hasAttribute("data-hydrated")) {
      w.__hydratedAt = performance.now();
      observer.disconnect();
    }
  }).observe(document, { attributes: true, subtree: true, attributeFilter: ["data-hydrated"] });
};

async function measure(browser: Browser, path: string, storageState: string | undefined, send: boolean): Promise<Sample> {
  const context = await browser.newContext({ storageState });
  const page = await context.newPage();
  await page.addInitScript(HYDRATION_WATCH);
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
  // Production runs behind HTTPS, where browsers ask for brotli; Chromium asks for it only there.
  await cdp.send("Network.setExtraHTTPHeaders", { headers: { "Accept-Encoding": "gzip, deflate, br" } });
  await cdp.send("Network.emulateNetworkConditions", FAST_3G);
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: CPU_SLOWDOWN });
  const kinds = new Map<string, string>();
  let bytes = 0;
  let bundleBytes = 0;
  cdp.on("Network.responseReceived", (e) => kinds.set(e.requestId, e.response.mimeType));
  cdp.on("Network.loadingFinished", (e) => {
    bytes += e.encodedDataLength;
    const kind = kinds.get(e.requestId) ?? "";
    if (kind.includes("wasm") || kind.includes("javascript")) bundleBytes += e.encodedDataLength;
  });
  await page.goto(path, { waitUntil: "commit" });
  await waitForHydration(page);
  const times = await page.evaluate(() => ({
    paint: performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? NaN,
    hydrated: (window as unknown as { __hydratedAt?: number }).__hydratedAt ?? NaN,
  }));
  let sent: number | undefined;
  if (send) {
    const text = `first-load ${Date.now()}`;
    await composer(page).fill(text);
    await composer(page).press("Enter");
    await expect(messages(page).getByText(text, { exact: true })).toBeVisible({ timeout: 30_000 });
    sent = await page.evaluate(() => performance.now());
  }
  // Late chunks count too; the chat page's long-poll never lets the network go idle, so wait a
  // while instead (the profile's round trip is 0.56 s).
  await page.waitForTimeout(2_000);
  await context.close();
  return { bytes, bundleBytes, ...times, sent };
}

function report(name: string, samples: Sample[]) {
  const stat = (pick: (s: Sample) => number | undefined) => {
    const v = samples.map(pick).filter((x): x is number => x !== undefined).sort((a, b) => a - b);
    return { median: v[Math.floor(v.length / 2)], max: v[v.length - 1] };
  };
  const ms = (k: (s: Sample) => number | undefined, label: string) => {
    const { median, max } = stat(k);
    return median === undefined ? "" : `${label} median ${(median / 1000).toFixed(2)} s, max ${(max / 1000).toFixed(2)} s; `;
  };
  const kib = (k: (s: Sample) => number, label: string) => {
    const { median, max } = stat(k);
    return `${label} median ${(median / 1024).toFixed(1)} KiB (max ${(max / 1024).toFixed(1)}); `;
  };
  console.log(
    `${name} (${samples.length} runs): ` +
      kib((s) => s.bytes, "transferred") +
      kib((s) => s.bundleBytes, "WASM + JS") +
      ms((s) => s.paint, "first paint") +
      ms((s) => s.hydrated, "hydrated") +
      ms((s) => s.sent, "typed and sent"),
  );
}

test("first load on a throttled phone profile", async ({ browser }) => {
  // A client with a deal chat, set up without throttling.
  const setup = await browser.newContext();
  const page: Page = await setup.newPage();
  await signUp(page, uniqueEmail("first-load"), "First Load", CLIENT_PASSWORD);
  await expect(page.getByRole("heading", { name: "My chats" })).toBeVisible();
  await waitForHydration(page);
  await startChat(page, "A new project", "First-load project", "Hello");
  const chatPath = new URL(page.url()).pathname;
  const state = await setup.storageState();
  const statePath = test.info().outputPath("client-state.json");
  require("fs").writeFileSync(statePath, JSON.stringify(state));
  await setup.close();

  const login: Sample[] = [];
  const chat: Sample[] = [];
  for (let i = 0; i < RUNS; i++) {
    console.log(`run ${i + 1} of ${RUNS}`);
    login.push(await measure(browser, "/login", undefined, false));
    chat.push(await measure(browser, chatPath, statePath, true));
  }
  report("login page", login);
  report(`client chat page (${chatPath})`, chat);
  for (const s of [...login, ...chat]) expect(Number.isFinite(s.hydrated), "every page hydrated").toBe(true);
});
