import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrowserContext, Page } from "playwright-core";
import { type AppProcess, startApp } from "../support/app-process";
import { launchBrowser, screenshotPath } from "../support/browser";
import { createTestDatabase, type TestDatabase } from "../support/db";

/** The running demo (a timer leak injected right away) seen through the dashboard in Chromium. */
describe("dashboard on the demo cluster", () => {
  let db: TestDatabase;
  let app: AppProcess;
  let browser: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await startApp({
      DATABASE_URL: db.url,
      LOOPSCOPE_DEMO_SCHEDULE: "leak-timer",
      LOOPSCOPE_SCRAPE_INTERVAL: "1s",
      LOOPSCOPE_LEAK_GRACE: "2s",
    });
    browser = await launchBrowser();
    page = await browser.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await db?.drop();
  });

  it("overview lists the demo controllers with health, sparklines and the demo banner", async () => {
    await page.goto(`${app.url}/?range=15m`, { waitUntil: "networkidle" });
    await page.getByTestId("banner-demo").waitFor();
    for (const name of ["pods", "deployments", "configmaps"]) {
      const card = page.getByTestId(`controller-card-${name}`);
      await card.waitFor();
      expect(await card.textContent()).toMatch(/Workers\s*\d+\/4/);
    }
    // The leak is attributed to one controller, whose card turns degraded with the leak as a
    // reason (other cards may be degraded by the demo's other faults meanwhile). Growth is only
    // called sustained after the trend test's shortest window, about a minute of samples.
    const leakReasons = page.locator(".controller-card.health-degraded [data-testid=health-reasons]").filter({ hasText: /leaked resources|LeakGrowth/ });
    await expect.poll(async () => leakReasons.count(), { timeout: 150_000, interval: 2_000 }).toBeGreaterThan(0);
    await page.screenshot({ path: screenshotPath("overview"), fullPage: true });
  });

  it("controller detail charts recorded series with values and units", async () => {
    await page.goto(`${app.url}/controllers/pods?range=15m`, { waitUntil: "networkidle" });
    const adds = page.locator("[data-testid^=chart-adds-per-second]");
    await adds.waitFor();
    await expect.poll(async () => adds.locator(".recharts-line-curve").count(), { timeout: 30_000 }).toBeGreaterThan(0);
    expect(await adds.textContent()).toMatch(/\/s/);
    const results = page.getByTestId("chart-reconcile-results");
    await expect.poll(async () => results.locator(".recharts-area").count(), { timeout: 30_000 }).toBeGreaterThan(0);
    expect(await results.textContent()).toMatch(/success/);
    const resources = page.getByTestId("chart-active-resources-by-type");
    await expect.poll(async () => resources.textContent(), { timeout: 30_000 }).toMatch(/Timeout/);
    await page.screenshot({ path: screenshotPath("controller-pods"), fullPage: true });
  });

  it("leaks page shows the injected timer leak as a suspect group with its controller and stack", async () => {
    await page.goto(`${app.url}/leaks?range=15m`, { waitUntil: "networkidle" });
    // The timer leak's group among the suspects (not the unattributed groups), wherever it sorts.
    const groups = page.getByTestId("suspect-group").filter({ hasText: "Timeout" });
    await expect.poll(async () => groups.count(), { timeout: 60_000, interval: 2_000 }).toBeGreaterThan(0);
    expect(await page.getByTestId("suspect-groups").getByTestId("unattributed-group").count()).toBe(0);
    const text = await groups.first().textContent();
    expect(text).toMatch(/Timeout/);
    expect(text).toMatch(/pods|deployments|configmaps/);
    expect(text).not.toMatch(/unattributed/);
    await page.screenshot({ path: screenshotPath("leaks"), fullPage: true });
  });
});
