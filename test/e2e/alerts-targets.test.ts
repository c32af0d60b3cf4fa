import http from "node:http";
import type { AddressInfo } from "node:net";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppProcess, startApp } from "../support/app-process";
import { launchBrowser, screenshotPath } from "../support/browser";
import { createTestDatabase, type TestDatabase } from "../support/db";

/** A loopback HTTP server answering every request with `status`, recording POST bodies. */
interface Receiver {
  url: string;
  bodies: unknown[];
  close(): Promise<void>;
}

async function startReceiver(status = 200): Promise<Receiver> {
  const bodies: unknown[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.method === "POST") {
        const text = Buffer.concat(chunks).toString("utf8");
        try {
          bodies.push(JSON.parse(text));
        } catch {
          bodies.push(text);
        }
      }
      res.writeHead(status, { "content-type": "text/plain" });
      res.end(status === 200 ? "ok" : "receiver says no");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    bodies,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface WebhookBody {
  version?: unknown;
  status?: unknown;
  alerts?: { status?: unknown; labels?: Record<string, unknown> }[];
  commonLabels?: Record<string, unknown>;
}

function isWebhookFor(body: unknown, alertname: string): body is WebhookBody {
  const b = body as WebhookBody;
  return Boolean(b && typeof b === "object" && Array.isArray(b.alerts) && b.alerts.some((a) => a.labels?.alertname === alertname));
}

/** Resolves once `check` returns a value (polled every 200 ms), or fails with `what` after `timeoutMs`. */
async function eventually<T>(what: string, check: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function fill(page: Page, form: string, fields: Record<string, string>): Promise<void> {
  for (const [name, value] of Object.entries(fields)) await page.locator(`[data-testid="${form}"] [name="${name}"]`).fill(value);
}

describe("alerts and targets pages (production build, real Chromium)", () => {
  let db: TestDatabase;
  let app: AppProcess;
  let browser: BrowserContext;
  let page: Page;
  let webhook: Receiver;
  let failing: Receiver;

  beforeAll(async () => {
    [db, webhook, failing] = await Promise.all([createTestDatabase(), startReceiver(200), startReceiver(500)]);
    app = await startApp({ DATABASE_URL: db.url, LOOPSCOPE_SCRAPE_INTERVAL: "1s", LOOPSCOPE_DEMO_SCHEDULE: "none", LOOPSCOPE_LOG_LEVEL: "warn" });
    browser = await launchBrowser();
    page = await browser.newPage();
    page.setDefaultTimeout(30_000);
  });

  afterAll(async () => {
    await browser?.close();
    if (app?.child.exitCode === null) await app.stop("SIGTERM");
    await Promise.all([webhook?.close(), failing?.close()]);
    await db?.drop();
  });

  it("creates a webhook channel and a threshold rule through the forms, sees it fire and arrive, and silences it", async () => {
    const alertname = "E2ECpuAboveZero";

    // Channel: a generic webhook at the loopback receiver, with 1 s group timings.
    await page.goto(`${app.url}/alerts?tab=channels`);
    await page.getByRole("button", { name: "New channel" }).click();
    await page.locator('[data-testid="channel-form"] select[name="kind"]').selectOption("webhook");
    await fill(page, "channel-form", { name: "e2e-receiver", url: webhook.url, groupWait: "1s", groupInterval: "1s" });
    await page.getByRole("button", { name: "Add channel" }).click();
    await page.locator('[data-testid="channel-row"][data-channel="e2e-receiver"]').waitFor();
    expect(await page.locator('[data-testid="channel-row"][data-channel="e2e-receiver"]').textContent()).toContain("webhook");
    await page.getByTestId("channel-editor").waitFor({ state: "detached" });
    expect(page.url()).not.toContain("channel=new");

    // A rule the server refuses shows its message under the field.
    await page.getByTestId("tab-rules").click();
    await page.getByRole("button", { name: "New rule" }).click();
    await fill(page, "rule-editor", { interval: "1s" });
    await fill(page, "rule-form", { name: alertname, metric: "9 is not a metric", value: "0", for: "0s" });
    await page.getByRole("button", { name: "Create rule" }).click();
    const metricError = page.getByTestId("error-metric");
    await metricError.waitFor();
    expect(await metricError.textContent()).toMatch(/metric name/);

    // Fixed, it saves and is listed.
    await fill(page, "rule-form", { metric: "process_cpu_user_seconds_total" });
    await page.getByRole("button", { name: "Create rule" }).click();
    const ruleRow = page.locator(`[data-testid="rule-row"][data-rule="${alertname}"]`);
    await ruleRow.waitFor();
    expect(await ruleRow.textContent()).toContain("process_cpu_user_seconds_total > 0");

    // It fires, on the page and at the receiver (Alertmanager's webhook payload, version 4).
    await page.getByTestId("tab-active").click();
    const alertRow = page.locator(`[data-testid="alert-row"][data-rule="${alertname}"][data-state="firing"]`);
    await alertRow.waitFor({ timeout: 30_000 });
    const body = await eventually("the webhook for the firing alert", () => webhook.bodies.find((b) => isWebhookFor(b, alertname)));
    expect(body.version).toBe("4");
    expect(body.status).toBe("firing");
    expect(body.alerts?.find((a) => a.labels?.alertname === alertname)?.status).toBe("firing");
    await page.screenshot({ path: screenshotPath("alerts-firing"), fullPage: true });

    // Silence it from the alert's row: the form is pre-filled with the alert's labels.
    await page.getByRole("button", { name: `Silence ${alertname}` }).click();
    const silenceForm = page.getByTestId("silence-form");
    await silenceForm.waitFor();
    const matcherValues = await silenceForm.locator("input").evaluateAll((inputs) => inputs.map((i) => (i as HTMLInputElement).value));
    expect(matcherValues).toContain(alertname);
    await fill(page, "silence-form", { createdBy: "e2e", comment: "silenced by the end-to-end test" });
    await page.getByRole("button", { name: "Create silence" }).click();
    await silenceForm.waitFor({ state: "detached" });
    await page.locator(`[data-testid="alert-row"][data-rule="${alertname}"]`, { hasText: "silenced" }).waitFor();
    expect(await page.getByRole("button", { name: `Silence ${alertname}` }).isDisabled()).toBe(true);
    await page.screenshot({ path: screenshotPath("alerts-silenced"), fullPage: true });

    // The silence is listed as active.
    await page.getByTestId("tab-silences").click();
    await page.locator('[data-testid="silence-row"][data-state="active"]', { hasText: alertname }).waitFor();

    // Editing the rule opens the form with its values and its 24 h preview (the replay of every
    // evaluation takes tens of seconds for a 1 s rule, so only the chart of its query is awaited).
    await page.getByTestId("tab-rules").click();
    await page.getByRole("button", { name: `Edit ${alertname}` }).click();
    expect(await page.locator('[data-testid="rule-form"] [name="metric"]').inputValue()).toBe("process_cpu_user_seconds_total");
    expect(await page.locator('[data-testid="rule-editor"] [name="interval"]').inputValue()).toBe("1s");
    // The rule's query is charted while the replay runs.
    await page.getByTestId("rule-preview").locator(".recharts-surface").first().waitFor();
    expect(page.url()).toMatch(/[?&]rule=\d+/);
    await page.screenshot({ path: screenshotPath("alerts-rule-edit"), fullPage: true });

    // Deliveries list what was sent.
    await page.getByTestId("tab-deliveries").click();
    await page.locator('[data-testid="delivery-row"][data-state="delivered"]').first().waitFor();
  });

  it("adds scrape targets through the form and shows their health", async () => {
    await page.goto(`${app.url}/targets`);
    await page.getByRole("button", { name: "Add target" }).click();
    await fill(page, "target-form", { name: "loopscope-self", url: `${app.url}/metrics`, interval: "1s", timeout: "1s" });
    await page.getByRole("button", { name: "Add target" }).click();
    const self = page.locator('[data-testid="target-row"][data-target="loopscope-self"][data-up="true"]');
    await self.waitFor();
    const samples = Number((await self.locator("td.num").nth(1).textContent())?.replace(/[^\d]/g, ""));
    expect(samples).toBeGreaterThan(0);

    await page.getByRole("button", { name: "Add target" }).click();
    await fill(page, "target-form", { name: "always-500", url: failing.url, interval: "1s", timeout: "1s" });
    await page.getByRole("button", { name: "Add target" }).click();
    const broken = page.locator('[data-testid="target-row"][data-target="always-500"][data-up="false"]');
    await broken.waitFor();
    expect(await broken.getByTestId("target-error").textContent()).toMatch(/500/);
    await page.screenshot({ path: screenshotPath("targets"), fullPage: true });
  });
});
