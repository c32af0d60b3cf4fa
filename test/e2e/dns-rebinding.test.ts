import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppProcess, startApp } from "../support/app-process";
import { launchBrowser } from "../support/browser";
import { createTestDatabase, type TestDatabase } from "../support/db";

/**
 * Issue 17, item 2: DNS rebinding. Chromium resolves `rebind.evil.example` to 127.0.0.1
 * (--host-resolver-rules), as after the attacker's DNS answer flipped: the browser loads
 * `http://rebind.evil.example:<port>/` from Loopscope's own address, and the attacker's script
 * runs in that origin (Playwright's evaluate stands in for it), so every request it makes is
 * same-origin for the browser and reaches Loopscope with `Host: rebind.evil.example`.
 */
const EVIL = "rebind.evil.example";

async function createChannelFrom(page: Page, name: string): Promise<{ status: number; text: string }> {
  return page.evaluate(async (channel) => {
    const response = await fetch("/api/trpc/alerts.channels.create", {
      method: "POST",
      // A same-origin page may set any header, including one naming Loopscope's own host.
      headers: { "content-type": "application/json", "x-forwarded-host": location.host.replace(/^[^:]+/, "127.0.0.1") },
      body: JSON.stringify({ name: channel, kind: "webhook", url: "http://127.0.0.1:9/collect" }),
    });
    return { status: response.status, text: await response.text() };
  }, name);
}

describe("DNS rebinding (real Chromium, host-resolver-rules)", () => {
  let db: TestDatabase;
  let app: AppProcess;
  let browser: BrowserContext;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await startApp({ DATABASE_URL: db.url, LOOPSCOPE_DEMO_SCHEDULE: "none", LOOPSCOPE_LOG_LEVEL: "warn" });
    browser = await launchBrowser({ mapHosts: [EVIL] });
  });

  afterAll(async () => {
    await browser?.close();
    if (app?.child.exitCode === null) await app.stop("SIGTERM");
    await db?.drop();
  });

  async function channelNames(): Promise<string[]> {
    const response = await fetch(`${app.url}/api/trpc/alerts.channels.list`);
    const body = (await response.json()) as { result: { data: { name: string }[] } };
    return body.result.data.map((c) => c.name);
  }

  it("a rebinding page can neither create a channel nor read data; Loopscope's own page can", async () => {
    const port = new URL(app.url).port;
    const evil = await browser.newPage();
    const landing = await evil.goto(`http://${EVIL}:${port}/alerts`);
    expect(landing?.status()).toBe(421);

    const attempt = await createChannelFrom(evil, "rebound");
    expect(attempt.status).toBe(421);
    expect(attempt.text).toContain("LOOPSCOPE_ALLOWED_HOSTS");
    const read = await evil.evaluate(async () => (await fetch("/api/trpc/targets.list")).status);
    expect(read).toBe(421);
    expect(await channelNames()).not.toContain("rebound");

    // The same request from Loopscope's own page (Host 127.0.0.1) goes through.
    const own = await browser.newPage();
    await own.goto(`${app.url}/alerts?tab=channels`);
    const legit = await createChannelFrom(own, "legit");
    expect(legit.status).toBe(200);
    expect(await channelNames()).toContain("legit");
  });
});
