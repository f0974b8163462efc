// Shared by the browser suite (tests/browser/*.test.mjs): headless Debian Chromium driven by playwright-core,
// started with the flags a closed network needs; the test stack's web app (WEB_URL) and functions; console
// errors collected per page; axe-core scans; screenshots written to test-results/web/ (gitignored).
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import AxeBuilder from "@axe-core/playwright";
import { chromium } from "playwright-core";
import { ROOT, stackConfig } from "../../scripts/lib/config.mjs";
import { CHROMIUM } from "../../scripts/lib/install.mjs";

const c = stackConfig("test");
export const WEB_URL = process.env.WEB_URL || c.webUrl;
export const FUNCTIONS_URL = process.env.FUNCTIONS_URL || c.functionsUrl;
export const SHOTS = join(ROOT, "test-results", "web");

/**
 * Chromium without anything that reaches out: no sandbox (root in a container has no user namespaces for it),
 * no background networking, component updates, sync, translation, safe-browsing or metrics, no first-run UI;
 * no GPU (there is none); /dev/shm may be small in containers.
 */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-dev-shm-usage",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-default-apps",
  "--disable-sync",
  "--disable-domain-reliability",
  "--disable-client-side-phishing-detection",
  "--disable-breakpad",
  "--no-first-run",
  "--no-default-browser-check",
  "--no-pings",
  "--metrics-recording-only",
  "--disable-features=Translate,OptimizationHints,MediaRouter,InterestFeedContentSuggestions,CertificateTransparencyComponentUpdater,AutofillServerCommunication",
];

export function launch() {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/**
 * A new page in a fresh context (no session carried over), at `path` of the web app once the shell has booted.
 * `page.consoleErrors` collects console errors and uncaught exceptions, for `noConsoleErrors`.
 */
export async function openApp(browser, path = "#/", { viewport = { width: 1280, height: 900 } } = {}) {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  page.consoleErrors = [];
  page.on("console", (m) => {
    if (m.type() === "error") page.consoleErrors.push(m.text());
  });
  page.on("pageerror", (e) => page.consoleErrors.push(`uncaught: ${e.message}`));
  await page.goto(`${WEB_URL}/${path}`);
  await page.waitForSelector("body[data-ready=true]", { timeout: 15000 });
  return page;
}

/**
 * The console errors of `page`, less those `expected` (regexps: a page that is shown a 4xx on purpose logs
 * Chromium's "Failed to load resource" line for it).
 */
export function consoleErrors(page, expected = []) {
  return page.consoleErrors.filter((t) => !expected.some((re) => re.test(t)));
}

/** axe-core's serious and critical violations on `page` as "rule: target…" lines (WCAG 2.x A/AA rules and best practice). */
export async function seriousViolations(page) {
  const r = await new AxeBuilder({ page }).analyze();
  return r.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")}`);
}

/** A full-page screenshot as test-results/web/<name>.png; returns its path. */
export async function screenshot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  const path = join(SHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * Why the toxicity API cannot be used by these tests, or null when it answers (GET /toxicity/openapi.json with
 * the anon key). The pages that need it are skipped then, saying so.
 */
export async function toxicityApiMissing() {
  const { anonKey } = await import("../../scripts/lib/keys.mjs");
  const key = await anonKey(c);
  try {
    const r = await fetch(`${FUNCTIONS_URL}/toxicity/openapi.json`, {
      headers: { authorization: `Bearer ${key}`, apikey: key },
    });
    await r.body?.cancel();
    return r.status === 200 ? null : `the toxicity function is not served (GET /toxicity/openapi.json: ${r.status})`;
  } catch (e) {
    return `the functions server is not reachable: ${e.message}`;
  }
}
