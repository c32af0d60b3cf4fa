import { readFileSync } from "node:fs";
import path from "node:path";
import { format } from "date-fns";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AppProcess, startApp } from "../support/app-process";
import { launchBrowser, screenshotPath } from "../support/browser";
import { createTestDatabase, type TestDatabase } from "../support/db";

/**
 * The Leaks page against the running demo in Chromium, for the two faults it used to
 * say nothing about: a leaked promise (promise tracking had no switch on the page) and a
 * spike of leaked sockets (the diff between two times said "No resources recorded").
 * Grace is 2 s and every stack is captured, so the trend test (a minute of 5 s samples)
 * is the only wait.
 */
const repo = path.resolve(import.meta.dirname, "../..");
const demoLeaks = readFileSync(path.join(repo, "server/demo/leaks.ts"), "utf8").split("\n");
/** The line of the demo's leaked `new Promise` and of its leaked `net.connect`. */
const PROMISE_LINE = demoLeaks.findIndex((l) => l.includes("const promise = new Promise<void>")) + 1;
const SOCKET_LINE = demoLeaks.findIndex((l) => l.includes("const socket = net.connect(")) + 1;
/** A frame as the page shows it: "fn (file:line:column)", or "file:line:column", in the original source. */
const ORIGINAL_FRAME = /^(?:\S.* \((?!\.next\/)[^()]+\.tsx?:\d+:\d+\)|(?!\.next\/)[^()\s]+\.tsx?:\d+:\d+)$/;

async function demoApp(schedule: string): Promise<{ db: TestDatabase; app: AppProcess }> {
  const db = await createTestDatabase();
  const app = await startApp({
    DATABASE_URL: db.url,
    LOOPSCOPE_DEMO_SCHEDULE: schedule,
    LOOPSCOPE_LEAK_GRACE: "2s",
    LOOPSCOPE_LEAK_STACK_SAMPLE_RATE: "1",
  });
  return { db, app };
}

/** Every creation stack shown in the suspect tables, one frame a line. */
async function shownStacks(page: Page): Promise<string[][]> {
  const stacks = await page.locator("[data-testid=suspect-groups] pre.stack").allTextContents();
  return stacks.map((s) => s.split("\n").filter((l) => l.trim() !== ""));
}

describe("Leaks page: the demo's promise leak appears once promise tracking is switched on from the page", () => {
  let db: TestDatabase;
  let app: AppProcess;
  let browser: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    ({ db, app } = await demoApp("leak-promise@pods"));
    browser = await launchBrowser();
    page = await browser.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await db?.drop();
  });

  it("shows nothing while the switch is off, the switch's cost beside it, then the leaked promises with their source line once on", async () => {
    await page.goto(`${app.url}/leaks?range=15m`, { waitUntil: "networkidle" });
    const promiseSwitch = page.getByTestId("promise-tracking");
    await promiseSwitch.waitFor();
    expect(await promiseSwitch.getAttribute("data-enabled")).toBe("false");
    // The cost is shown next to the switch, before anyone turns it on.
    expect(await promiseSwitch.getByTestId("promise-tracking-cost").textContent()).toMatch(/Cost: .*\d(\.\d+)?× .*while on/);
    const checkbox = promiseSwitch.getByRole("checkbox", { name: "Track promises" });
    expect(await checkbox.isChecked()).toBe(false);

    // Off: the demo leaks a promise per reconcile of pods. The promises themselves show nowhere;
    // the one re-armed poll timer each of them keeps alive does (a Timeout group naming the
    // poll), which also shows the page is live and the trend test has had its time.
    const promiseGroups = page.getByTestId("suspect-group").filter({ hasText: "PROMISE" });
    const pollTimers = page.getByTestId("suspect-group").filter({ hasText: "Timeout" }).filter({ hasText: "pods" });
    const offUntil = Date.now() + 150_000;
    while ((await pollTimers.count()) === 0 && Date.now() < offUntil) {
      expect(await promiseGroups.count()).toBe(0);
      await page.waitForTimeout(3_000);
    }
    expect(await pollTimers.count()).toBeGreaterThan(0);
    expect(await pollTimers.first().locator("pre.stack").textContent()).toMatch(/server\/demo\/leaks\.ts:\d+:\d+/);
    expect(await promiseGroups.count()).toBe(0);

    await checkbox.click();
    await expect.poll(async () => promiseSwitch.getAttribute("data-enabled"), { timeout: 15_000 }).toBe("true");
    expect(await promiseSwitch.textContent()).toMatch(/On: \d+ pending promises tracked/);

    // Pending promises are judged after the process's own full collections (none is forced).
    const podsPromises = promiseGroups.filter({ hasText: "pods" });
    await expect.poll(async () => podsPromises.count(), { timeout: 240_000, interval: 3_000 }).toBeGreaterThan(0);
    const stack = (await podsPromises.first().locator("pre.stack").textContent()) ?? "";
    expect(stack.split("\n")[0]).toMatch(new RegExp(`\\(server/demo/leaks\\.ts:${PROMISE_LINE}:\\d+\\)$`));
    // Every stack on the page names an original source line, none a bundle's line 1.
    for (const frames of await shownStacks(page)) {
      for (const frame of frames) {
        expect(frame).toMatch(ORIGINAL_FRAME);
        expect(frame, "a generated line 1, column N").not.toMatch(/:1:\d{3,}\)?$/);
      }
    }
    await page.screenshot({ path: screenshotPath("leaks-promise-tracking"), fullPage: true });
  }, 420_000);
});

describe("Leaks page: the diff between two times across a spike of leaked sockets", () => {
  let db: TestDatabase;
  let app: AppProcess;
  let browser: BrowserContext;
  let page: Page;
  let startedAt: number;

  beforeAll(async () => {
    startedAt = Date.now();
    ({ db, app } = await demoApp("leak-socket@deployments"));
    browser = await launchBrowser();
    page = await browser.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await db?.drop();
  });

  it("lists the grown socket group with its source line, and the live sockets that grew", async () => {
    await page.goto(`${app.url}/leaks?range=15m`, { waitUntil: "networkidle" });
    // The spike: the live-socket count climbs on the chart's data (the demo leaks up to 200).
    const diff = page.getByTestId("resource-diff");
    await diff.waitFor();
    // The two times, chosen on the page (whole minutes): from before the app started, so
    // every leaked socket counts as grown, to at least two minutes from now, so the latest
    // sample stands for "to" while the leak goes on.
    const inputs = page.getByRole("region", { name: "Diff between two times" }).locator("input[type=datetime-local]");
    await inputs.nth(0).fill(format(startedAt - 60_000, "yyyy-MM-dd'T'HH:mm"));
    await inputs.nth(1).fill(format(Date.now() + 180_000, "yyyy-MM-dd'T'HH:mm"));
    const groupRow = diff.locator("tbody tr").filter({ hasText: `TCPSocketWrap @ ` });
    const grownBy = async () => Number((await groupRow.first().locator("[data-delta]").getAttribute("data-delta")) ?? 0);
    await expect.poll(async () => ((await groupRow.count()) > 0 ? grownBy() : 0), { timeout: 150_000, interval: 2_000 }).toBeGreaterThanOrEqual(20);
    expect(await groupRow.first().textContent()).toMatch(new RegExp(`server/demo/leaks\\.ts:${SOCKET_LINE}:\\d+`));
    const liveRow = diff.locator("tbody tr").filter({ hasText: "TCPSocketWrap (all live)" });
    expect(await liveRow.count()).toBe(1);
    expect(Number(await liveRow.locator("[data-delta]").getAttribute("data-delta"))).toBeGreaterThan(0);
    expect(await diff.textContent()).not.toMatch(/No resources recorded/);
    await page.screenshot({ path: screenshotPath("leaks-diff-spike"), fullPage: true });
  }, 240_000);
});
