import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppProcess, startApp } from "../support/app-process";
import { launchBrowser, screenshotPath } from "../support/browser";
import { createTestDatabase, type TestDatabase } from "../support/db";
import { ensureGoPrograms, startGoOperator } from "../support/go-programs";

/**
 * A real controller-runtime operator (test/fixtures/go-operator, built with the machine's Go)
 * added through the Targets form with its pprof URL, then watched on the Leaks page in
 * Chromium: no suspect while it behaves, a suspect naming the leaking line once it leaks one
 * goroutine per reconcile. Goroutines are collected every 5 s here (the product's default is
 * 30 s); the trend test counts intervals, so the logic is the same.
 */
const LEAKING_LINE = "test/fixtures/go-operator/main.go:35";

describe("Leaks page: a Go operator added with its pprof URL", () => {
  let db: TestDatabase;
  let app: AppProcess;
  let browser: BrowserContext;
  let page: Page;
  let operator: Awaited<ReturnType<typeof startGoOperator>>;

  beforeAll(async () => {
    await ensureGoPrograms();
    [db, operator] = await Promise.all([createTestDatabase(), startGoOperator({ reconcileEveryMs: 100 })]);
    app = await startApp({ DATABASE_URL: db.url, LOOPSCOPE_DEMO_SCHEDULE: "none", LOOPSCOPE_GOROUTINE_INTERVAL: "5s", LOOPSCOPE_LOG_LEVEL: "warn" });
    browser = await launchBrowser();
    page = await browser.newPage();
    page.setDefaultTimeout(30_000);
  }, 900_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await operator?.stop();
    await db?.drop();
  });

  it("shows the operator's goroutines, no suspect while it behaves, then the leaking line as a growing suspect", async () => {
    await page.goto(`${app.url}/targets`);
    await page.getByRole("button", { name: "Add target" }).click();
    const form = page.getByTestId("target-form");
    // A pprof URL that is not a URL is refused at its field, before anything is stored.
    await form.locator('[name="name"]').fill("leaky-operator");
    await form.locator('[name="url"]').fill(operator.metricsUrl);
    await form.locator('[name="interval"]').fill("5s");
    await form.locator('[name="timeout"]').fill("2s");
    await form.locator('[name="pprofUrl"]').fill("not a url");
    await page.getByRole("button", { name: "Add target" }).click();
    await expect.poll(async () => (await form.textContent()) ?? "").toMatch(/pprof URL[\s\S]*(URL|url)/);
    await form.locator('[name="pprofUrl"]').fill(operator.pprofUrl);
    await page.getByRole("button", { name: "Add target" }).click();
    await page.locator('[data-testid="target-row"][data-target="leaky-operator"][data-up="true"]').waitFor();

    await page.goto(`${app.url}/leaks`);
    const panel = page.locator('[data-testid="go-targets"] .go-target[data-target="leaky-operator"]');
    await panel.waitFor();
    // Collected, and no suspect yet: the operator's goroutines are all expected ones.
    await expect.poll(async () => Number(/(\d+) goroutines in/.exec((await panel.locator("h3").first().textContent()) ?? "")?.[1] ?? 0), { timeout: 60_000 }).toBeGreaterThan(0);
    expect(await panel.textContent()).toMatch(/No suspect\./);

    await operator.setLeaking(true);
    const leakingAt = Date.now();
    const suspect = panel.locator("tbody tr").filter({ hasText: LEAKING_LINE });
    await expect.poll(async () => suspect.count(), { timeout: 120_000, interval: 2_000 }).toBe(1);
    const shownAfterMs = Date.now() - leakingAt;
    const cells = await suspect.locator("td").allTextContents();
    expect(cells[1]).toMatch(/chan send/);
    expect(Number(cells[2])).toBeGreaterThan(0);
    expect(cells[4]).toMatch(/growing/);
    // The whole user stack is one click away, and it starts at the leaking line.
    await suspect.locator("summary").click();
    expect((await suspect.locator("pre").textContent())?.split("\n")[0]).toContain(LEAKING_LINE);
    expect(shownAfterMs).toBeLessThan(120_000);
    await page.screenshot({ path: screenshotPath("leaks-go-operator"), fullPage: true });
  }, 300_000);
});
