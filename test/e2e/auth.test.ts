import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintApiToken } from "../../server/auth/api-tokens";
import { type AppProcess, startApp } from "../support/app-process";
import { launchBrowser, screenshotPath } from "../support/browser";
import { createTestDatabase, type TestDatabase } from "../support/db";

const PASSWORD = "e2e correct horse";
const viewer = mintApiToken("e2e-viewer", "viewer", 4);
const editor = mintApiToken("e2e-editor", "editor", 4);

declare global {
  interface Window {
    __cspViolations: string[];
  }
}

/** Password sign-in in Chromium against the production build, under the production CSP. */
describe("sign-in with LOOPSCOPE_AUTH=password", () => {
  let db: TestDatabase;
  let app: AppProcess;
  let browser: BrowserContext;
  let page: Page;
  const consoleProblems: string[] = [];
  const failedResponses: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await startApp({
      DATABASE_URL: db.url,
      LOOPSCOPE_AUTH: "password",
      LOOPSCOPE_ADMIN_PASSWORD: PASSWORD,
      LOOPSCOPE_API_TOKENS: `${viewer.entry},${editor.entry}`,
      LOOPSCOPE_DEMO_SCHEDULE: "leak-timer",
    });
    browser = await launchBrowser();
    await browser.addInitScript(() => {
      window.__cspViolations = [];
      document.addEventListener("securitypolicyviolation", (e) => window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    page = await browser.newPage();
    page.on("console", (m) => {
      if (m.type() === "error" || /Content Security Policy|Refused to/i.test(m.text())) consoleProblems.push(m.text());
    });
    page.on("pageerror", (e) => consoleProblems.push(e.message));
    page.on("response", (r) => {
      if (r.status() >= 400) failedResponses.push(`${r.status()} ${new URL(r.url()).pathname}`);
    });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await db?.drop();
  });

  it("sends an anonymous visitor to the login page, refuses a wrong password, then shows the dashboard", async () => {
    await page.goto(`${app.url}/alerts`, { waitUntil: "networkidle" });
    expect(new URL(page.url()).pathname).toBe("/login");
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByTestId("login-error").filter({ hasText: "Wrong user name or password." }).waitFor();

    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${app.url}/alerts`);
    await page.goto(app.url, { waitUntil: "networkidle" });
    // Data arrives through tRPC: the page hydrated and its queries ran with the session.
    await page.getByTestId("readiness").filter({ hasText: "ready" }).waitFor();
    expect(await page.getByTestId("signed-in").textContent()).toMatch(/Signed in as admin \(editor\)/);
    await page.screenshot({ path: screenshotPath("auth-signed-in"), fullPage: true });
  });

  it("served every page under a nonce CSP with no violation and no script error", async () => {
    const res = await page.request.get(app.url);
    const csp = res.headers()["content-security-policy"] ?? "";
    expect(csp).toMatch(/script-src 'self' 'nonce-/);
    expect(csp).not.toContain("unsafe-eval");
    for (const path of ["/leaks", "/targets", "/alerts"]) {
      await page.goto(app.url + path, { waitUntil: "networkidle" });
      await page.getByRole("heading", { level: 1 }).first().waitFor();
      expect(await page.evaluate(() => window.__cspViolations), path).toEqual([]);
    }
    // The one failed request is the deliberately wrong password; resource-load lines (e.g. no favicon) are not script errors.
    expect(failedResponses).toEqual(["401 /api/auth/login"]);
    expect(consoleProblems.filter((m) => !m.startsWith("Failed to load resource"))).toEqual([]);
    // Control: an injected inline script without the nonce is blocked and reported.
    const ran = await page.evaluate(async () => {
      const script = document.createElement("script");
      script.textContent = "window.__injected = true";
      document.body.append(script);
      await new Promise((r) => setTimeout(r, 100));
      return (window as unknown as { __injected?: boolean }).__injected === true;
    });
    expect(ran).toBe(false);
    expect(await page.evaluate(() => window.__cspViolations)).toEqual([expect.stringMatching(/^script-src-elem inline/)]);
  });

  it("lets the signed-in browser mutate only with its CSRF token", async () => {
    const statuses = await page.evaluate(async (targetUrl) => {
      const csrf = decodeURIComponent(/loopscope_csrf=([^;]+)/.exec(document.cookie)?.[1] ?? "");
      const body = JSON.stringify({ name: "self via browser", url: targetUrl });
      const post = (headers: Record<string, string>) => fetch("/api/trpc/targets.create", { method: "POST", headers: { "content-type": "application/json", ...headers }, body }).then((r) => r.status);
      return { without: await post({}), with: await post({ "x-loopscope-csrf": csrf }) };
    }, `${app.url}/metrics`);
    expect(statuses).toEqual({ without: 403, with: 200 });
  });

  it("refuses mutations to a viewer token and accepts them from an editor token", async () => {
    const create = (token: string, name: string) =>
      fetch(`${app.url}/api/trpc/targets.create`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ name, url: `${app.url}/metrics` }),
      });
    expect((await create(viewer.token, "by viewer")).status).toBe(403);
    expect((await create(editor.token, "by editor")).status).toBe(200);
    const list = await fetch(`${app.url}/api/trpc/targets.list`, { headers: { authorization: `Bearer ${viewer.token}` } });
    const names = JSON.stringify(await list.json());
    expect(names).toContain("by editor");
    expect(names).not.toContain("by viewer");
    expect((await fetch(`${app.url}/api/trpc/targets.list`)).status).toBe(401);
  });

  it("signs out from the header", async () => {
    await page.goto(app.url, { waitUntil: "networkidle" });
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByTestId("signed-out").waitFor();
    await page.goto(`${app.url}/leaks`, { waitUntil: "networkidle" });
    expect(new URL(page.url()).pathname).toBe("/login");
  });
});
