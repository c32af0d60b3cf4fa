import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppProcess, startApp } from "../support/app-process";
import { launchBrowser, screenshotPath } from "../support/browser";
import { createTestDatabase, type TestDatabase } from "../support/db";
import { eventually, type Receiver, startReceiver, trpc } from "../support/proof";

/**
 * Issue 16, the alerts pages: the link every notification carries, rules that say "no data",
 * deliveries that do not call a 200 an error, and forms that say everything at once.
 */

const ALERT = "E2ECpuBusy";
const RUNBOOK = "https://runbooks.example.org/cpu-busy";

interface WebhookAlert {
  fingerprint: string;
  generatorURL?: string;
  labels: Record<string, string>;
}

describe("alert detail, rules and forms (issue 16)", () => {
  let db: TestDatabase;
  let app: AppProcess;
  let browser: BrowserContext;
  let page: Page;
  let receiver: Receiver;

  beforeAll(async () => {
    [db, receiver] = await Promise.all([createTestDatabase(), startReceiver("ok")]);
    app = await startApp({ DATABASE_URL: db.url, LOOPSCOPE_SCRAPE_INTERVAL: "1s", LOOPSCOPE_DEMO_SCHEDULE: "none", LOOPSCOPE_LOG_LEVEL: "warn" }, "/api/readyz", 280_000);
    browser = await launchBrowser({ viewport: { width: 1440, height: 900 } });
    page = await browser.newPage();
    page.setDefaultTimeout(30_000);
    await trpc(app.url, "mutation", "alerts.channels.create", { name: "e2e-hook", kind: "webhook", url: receiver.url, groupWait: "0s", groupInterval: "1s", repeatInterval: "1h" });
    await trpc(app.url, "mutation", "alerts.rules.create", {
      name: ALERT,
      kind: "threshold",
      spec: { query: { metric: "process_cpu_user_seconds_total" }, comparator: ">", value: 0 },
      interval: "1s",
      labels: { severity: "warning", team: "platform-observability-oncall" },
      annotations: { summary: "CPU time is being used", runbook_url: RUNBOOK },
    });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await receiver?.close();
    await db?.drop();
  });

  it("the link a notification carries opens the alert: state, labels, runbook, its query charted with the threshold, notifications, silence and unsilence", async () => {
    const sent = await eventually(
      "the webhook of the firing alert",
      () => receiver.posts.map((p) => p.json as { alerts?: WebhookAlert[]; externalURL?: string }).find((b) => b?.alerts?.some((a) => a.labels.alertname === ALERT)),
      60_000,
    );
    const alert = sent.alerts?.find((a) => a.labels.alertname === ALERT) as WebhookAlert;
    const link = `/alerts?alert=${alert.fingerprint}`;
    await page.goto(`${app.url}${link}`);
    const detail = page.getByTestId("alert-detail");
    await detail.waitFor();
    expect(await page.getByTestId("alert-name").textContent()).toBe(ALERT);
    expect(await detail.textContent()).toMatch(/firing/);
    const labels = await page.getByTestId("alert-labels").textContent();
    expect(labels).toContain("team=platform-observability-oncall");
    expect(labels).toContain("severity=warning");
    expect(await page.getByTestId("alert-runbook").locator("a").getAttribute("href")).toBe(RUNBOOK);
    expect(await page.getByTestId("alert-rule").textContent()).toContain("process_cpu_user_seconds_total > 0");
    await detail.locator(".recharts-line-curve").first().waitFor();
    expect(await detail.locator(".threshold-line").count()).toBe(1);
    await page.getByTestId("alert-notifications").locator("tbody tr", { hasText: "e2e-hook" }).first().waitFor();
    expect(await page.getByTestId("alert-events").textContent()).toMatch(/firing/);
    await page.screenshot({ path: screenshotPath("alert-detail"), fullPage: true });

    // Silence from the detail page, then unsilence.
    await page.getByTestId("silence-alert").click();
    await page.locator('[data-testid="silence-form"] [name="createdBy"]').fill("e2e");
    await page.locator('[data-testid="silence-form"] [name="comment"]').fill("looking into it");
    await page.getByRole("button", { name: "Create silence" }).click();
    await page.getByTestId("unsilence").waitFor({ timeout: 30_000 });
    await page.getByTestId("unsilence").click();
    await page.getByTestId("silence-alert").waitFor({ timeout: 30_000 });
  });

  it("deliveries do not show a successful HTTP 200 as the last error", async () => {
    await page.goto(`${app.url}/alerts?tab=deliveries`);
    const delivered = page.locator('[data-testid="delivery-row"][data-state="delivered"]').first();
    await delivered.waitFor();
    expect((await delivered.getByTestId("delivery-last-error").textContent())?.trim()).toBe("");
    expect(await page.locator('[data-testid="delivery-row"]').allTextContents()).not.toContainEqual(expect.stringMatching(/HTTP 200/));
  });

  it("rules show their last evaluation, and a rule on a metric that does not exist says no data, not ok", async () => {
    await trpc(app.url, "mutation", "alerts.rules.create", {
      name: "E2ENoSuchMetric",
      kind: "threshold",
      spec: { query: { metric: "no_such_metric_anywhere_total" }, comparator: ">", value: 0 },
      interval: "1s",
    });
    await page.goto(`${app.url}/alerts?tab=rules`);
    const ghost = page.locator('[data-testid="rule-row"][data-rule="E2ENoSuchMetric"]');
    await ghost.waitFor();
    await eventually("the rule's first evaluation", async () => ((await ghost.textContent())?.includes("not yet") ? undefined : true), 30_000, 500);
    expect(await ghost.getByTestId("rule-state").textContent()).toMatch(/no data/);
    expect(await ghost.getByTestId("rule-state").textContent()).not.toMatch(/\bok\b/);
    const real = page.locator(`[data-testid="rule-row"][data-rule="${ALERT}"]`);
    expect(await real.getByTestId("rule-state").textContent()).toMatch(/firing/);
  });

  it("New rule opens on screen with many rules; every error shows at its field at once and clears when fixed; Escape closes the form", async () => {
    for (let i = 0; i < 16; i++) {
      await trpc(app.url, "mutation", "alerts.rules.create", {
        name: `E2EFiller${i}`,
        kind: "threshold",
        spec: { query: { metric: "process_cpu_user_seconds_total" }, comparator: ">", value: 1e12 },
        interval: "1m",
      });
    }
    await page.goto(`${app.url}/alerts?tab=rules`);
    await page.locator('[data-testid="rule-row"][data-rule="E2EFiller15"]').waitFor();
    await page.getByRole("button", { name: "New rule" }).click();
    const form = page.getByTestId("rule-form");
    await form.waitFor();
    const box = await form.boundingBox();
    expect(box && box.y < 900).toBe(true);

    // Nothing filled in: name, metric and value are all refused at once, each at its field.
    await page.getByRole("button", { name: "Create rule" }).click();
    for (const field of ["name", "metric", "value"]) await page.getByTestId(`error-${field}`).waitFor();
    // Fixing the name clears its error; the others stay.
    await page.locator('[data-testid="rule-form"] [name="name"]').fill("E2EFixed");
    await page.getByTestId("error-name").waitFor({ state: "detached" });
    expect(await page.getByTestId("error-value").count()).toBe(1);

    await page.keyboard.press("Escape");
    await form.waitFor({ state: "detached" });
  });

  it("the silence form shows a bad regular expression at its matcher", async () => {
    await page.goto(`${app.url}/alerts?tab=silences`);
    await page.getByRole("button", { name: "New silence" }).click();
    const form = page.getByTestId("silence-form");
    await form.waitFor();
    const row = form.locator(".rows-editor-row").first();
    if ((await row.count()) === 0) await form.getByRole("button", { name: "+ Add matcher" }).click();
    await row.getByLabel("Label name 1").fill("alertname");
    await row.getByLabel("Operator 1").selectOption("=~");
    await row.getByLabel("Value 1").fill("(unclosed");
    await form.locator('[name="createdBy"]').fill("e2e");
    await form.locator('[name="comment"]').fill("regex check");
    await page.getByRole("button", { name: "Create silence" }).click();
    // The message sits in the matcher's row, not at the foot of the form.
    await row.locator(".field-error", { hasText: /regular expression/ }).waitFor();
    expect(await row.getByLabel("Value 1").getAttribute("aria-invalid")).toBe("true");
    expect(await form.getByTestId("form-error").count()).toBe(0);
  });
});
