// The web app in headless Chromium, what needs no toxicity data: every page of the shell loads without
// console errors and without serious or critical axe-core violations (desktop and phone widths), keyboard
// reachability of the navigation, and sign-in / sign-out of a demo user through supabase-js and the local Auth
// emulation. Screenshots go to test-results/web/.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { DEMO_PASSWORD } from "../../scripts/lib/user-claims.mjs";
import { consoleErrors, launch, openApp, screenshot, seriousViolations } from "./_browser.mjs";

let browser;
before(async () => (browser = await launch()));
after(async () => await browser?.close());

const PAGES = [
  { path: "#/", name: "search", heading: "Search cryoprotective agents" },
  { path: "#/lookup", name: "lookup", heading: "Batch lookup" },
  { path: "#/mixtures", name: "mixtures", heading: "Mixtures" },
  { path: "#/signin", name: "signin", heading: "Sign in" },
];

for (const p of PAGES) {
  test(`${p.name} page: renders its heading, no console error, no serious or critical axe violation`, async () => {
    const page = await openApp(browser, p.path);
    try {
      assert.equal((await page.locator("h1").first().textContent())?.trim(), p.heading);
      assert.deepEqual(await seriousViolations(page), []);
      assert.deepEqual(consoleErrors(page), []);
      await screenshot(page, `${p.name}`);
    } finally {
      await page.context().close();
    }
  });
}

test("at a phone's width (390 px) the pages do not overflow sideways and stay free of serious axe violations", async () => {
  for (const p of PAGES) {
    const page = await openApp(browser, p.path, { viewport: { width: 390, height: 844 } });
    try {
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 1, `${p.name}: the page is ${overflow}px wider than the screen`);
      assert.deepEqual(await seriousViolations(page), [], p.name);
      assert.deepEqual(consoleErrors(page), [], p.name);
      if (p.name === "search") await screenshot(page, "search-phone");
    } finally {
      await page.context().close();
    }
  }
});

test("keyboard: the skip link comes first and Tab reaches every navigation entry", async () => {
  const page = await openApp(browser, "#/");
  try {
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Skip to content");
    const reached = [];
    for (let i = 0; i < 6; i++) {
      await page.keyboard.press("Tab");
      reached.push(await page.evaluate(() => document.activeElement?.textContent?.trim()));
    }
    for (const name of ["Search", "Batch lookup", "Mixtures", "Sign in"]) assert.ok(reached.includes(name), name);
  } finally {
    await page.context().close();
  }
});

test("a wrong password is refused in words, and nobody is signed in", async () => {
  const page = await openApp(browser, "#/signin");
  try {
    await page.getByLabel("Email").fill("alice@example.org");
    await page.getByLabel("Password").fill("not-the-password");
    await page.getByRole("button", { name: "Sign in" }).click();
    const alert = page.getByRole("alert");
    await alert.waitFor();
    assert.match(await alert.textContent(), /email or password is not right/);
    assert.equal(await page.locator("#account").getByText("Signed in as").count(), 0);
    // The refused sign-in is a 400 from /auth/v1/token: Chromium logs that response, nothing else may be logged.
    assert.deepEqual(consoleErrors(page, [/Failed to load resource: the server responded with a status of 400/]), []);
  } finally {
    await page.context().close();
  }
});

test("a demo user signs in (supabase-js, local Auth emulation), is named in the header, stays signed in on reload, and signs out", async () => {
  const page = await openApp(browser, "#/signin");
  try {
    // The local stack's config.json names the demo users and their password on the page.
    assert.match(await page.locator("p.note").textContent(), /carol@example\.org.*cryoprotect-demo/s);
    await page.getByLabel("Email").fill("carol@example.org");
    await page.getByLabel("Password").fill(DEMO_PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.locator("#account").getByText("carol@example.org").waitFor();
    assert.equal(new URL(page.url()).hash, "#/");
    await screenshot(page, "signed-in");
    await page.reload();
    await page.waitForSelector("body[data-ready=true]");
    await page.locator("#account").getByText("carol@example.org").waitFor();
    const session = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.includes("auth-token")).length);
    assert.equal(session, 1, "supabase-js keeps the session");
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.locator("#account").getByRole("link", { name: "Sign in" }).waitFor();
    const left = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.includes("auth-token")).length);
    assert.equal(left, 0, "the session is gone from storage");
    assert.deepEqual(await seriousViolations(page), []);
    assert.deepEqual(consoleErrors(page), []);
  } finally {
    await page.context().close();
  }
});
