import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintApiToken } from "../../../server/auth/api-tokens";
import { type AuthHarness, allProcedures, callProcedure, cookiesFrom, startHarness } from "./harness";

const PASSWORD = "correct horse battery";
const METRICS_TOKEN = "metrics-token-0123456789";
const viewer = mintApiToken("reader", "viewer", 4);
const editor = mintApiToken("automation", "editor", 4);

describe("authentication over HTTP (LOOPSCOPE_AUTH=password)", () => {
  let app: AuthHarness;
  let session: { header: string; csrf?: string };
  const procedures = allProcedures();
  const mutations = procedures.filter((p) => p.type === "mutation");
  const queries = procedures.filter((p) => p.type === "query" && p.path !== "system.whoami");

  beforeAll(async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "loopscope-auth-"));
    app = await startHarness(
      {
        LOOPSCOPE_AUTH: "password",
        LOOPSCOPE_ADMIN_PASSWORD: PASSWORD,
        LOOPSCOPE_API_TOKENS: `${viewer.entry},${editor.entry}`,
        LOOPSCOPE_METRICS_TOKEN: METRICS_TOKEN,
        LOOPSCOPE_LOGIN_RATE_LIMIT: "5",
        LOOPSCOPE_MAX_BODY_BYTES: "65536",
      },
      dataDir,
    );
    const login = await fetch(`${app.url}/api/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: app.url },
      body: JSON.stringify({ username: "admin", password: PASSWORD }),
    });
    expect(login.status).toBe(200);
    session = cookiesFrom(login);
    expect(session.csrf).toBeTruthy();
  });

  afterAll(async () => {
    await app?.close();
  });

  it("found the mutations of the root router (rules, channels, targets, silences among them)", () => {
    expect(mutations.length).toBeGreaterThanOrEqual(20);
    for (const p of ["alerts.rules.create", "alerts.channels.create", "targets.create", "alerts.silences.create"]) expect(mutations.map((m) => m.path)).toContain(p);
  });

  it("refuses every mutation without a session or token (401)", async () => {
    for (const m of mutations) {
      const result = await callProcedure(app.url, m.path, m.type);
      expect({ path: m.path, ...result }).toMatchObject({ path: m.path, status: 401, code: "UNAUTHORIZED" });
    }
  });

  it("refuses every mutation with a bad token or a forged cookie (401)", async () => {
    const badToken = `${editor.token.slice(0, -1)}${editor.token.endsWith("x") ? "y" : "x"}`;
    const forged = session.header.replace(/loopscope_session=([^.;]+)\.([^;]+)/, (_, body: string) => `loopscope_session=${body}.AAAA`);
    for (const m of mutations) {
      expect((await callProcedure(app.url, m.path, m.type, { authorization: `Bearer ${badToken}` })).status).toBe(401);
      expect((await callProcedure(app.url, m.path, m.type, { cookie: forged, "x-loopscope-csrf": session.csrf ?? "" })).status).toBe(401);
    }
  });

  it("refuses every mutation to a viewer (403), while the viewer can read", async () => {
    for (const m of mutations) {
      const result = await callProcedure(app.url, m.path, m.type, { authorization: `Bearer ${viewer.token}` });
      expect({ path: m.path, ...result }).toMatchObject({ status: 403, code: "FORBIDDEN" });
    }
    for (const q of queries) {
      const result = await callProcedure(app.url, q.path, q.type, { authorization: `Bearer ${viewer.token}` });
      expect([401, 403], q.path).not.toContain(result.status);
    }
  });

  it("refuses every read without a session or token, except whoami", async () => {
    for (const q of queries) expect({ path: q.path, status: (await callProcedure(app.url, q.path, q.type)).status }).toEqual({ path: q.path, status: 401 });
    const who = await fetch(`${app.url}/api/trpc/system.whoami`);
    expect(((await who.json()) as { result: { data: unknown } }).result.data).toEqual({ mode: "password", principal: null });
  });

  it("lets an editor past authorisation on every mutation (token, or session with its CSRF token)", async () => {
    for (const m of mutations) {
      const variants: Record<string, string>[] = [{ authorization: `Bearer ${editor.token}` }, { cookie: session.header, "x-loopscope-csrf": session.csrf ?? "", origin: app.url, "sec-fetch-site": "same-origin" }];
      for (const headers of variants) {
        const result = await callProcedure(app.url, m.path, m.type, headers);
        // Past auth the call fails on its (empty) input or the absent service — never on auth.
        expect(["BAD_REQUEST", "PRECONDITION_FAILED", "NOT_FOUND"], `${m.path}: ${result.message}`).toContain(result.code);
      }
    }
  });

  it("refuses session mutations without the CSRF token, with another token, or from another site", async () => {
    for (const m of mutations) {
      const noToken = await callProcedure(app.url, m.path, m.type, { cookie: session.header });
      expect({ path: m.path, ...noToken }).toMatchObject({ status: 403, message: expect.stringMatching(/CSRF token/) });
      const wrong = await callProcedure(app.url, m.path, m.type, { cookie: session.header, "x-loopscope-csrf": "AAAA" });
      expect(wrong.status).toBe(403);
      const crossSite = await callProcedure(app.url, m.path, m.type, { cookie: session.header, "x-loopscope-csrf": session.csrf ?? "", origin: "http://evil.example", "sec-fetch-site": "cross-site" });
      expect({ path: m.path, ...crossSite }).toMatchObject({ status: 403, message: expect.stringMatching(/cross-site/) });
    }
  });

  it("says who is signed in", async () => {
    const res = await fetch(`${app.url}/api/trpc/system.whoami`, { headers: { cookie: session.header } });
    expect(((await res.json()) as { result: { data: unknown } }).result.data).toEqual({ mode: "password", principal: { name: "admin", role: "editor", via: "session" } });
  });

  it("sends anonymous page requests to /login and lets signed-in ones through", async () => {
    const anonymous = await fetch(`${app.url}/alerts?x=1`, { headers: { accept: "text/html" }, redirect: "manual" });
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get("location")).toBe("/login?next=%2Falerts%3Fx%3D1");
    expect((await fetch(`${app.url}/login`, { headers: { accept: "text/html" } })).status).toBe(200);
    expect((await fetch(`${app.url}/alerts`, { headers: { accept: "text/html", cookie: session.header } })).status).toBe(200);
    expect((await fetch(`${app.url}/_next/image?url=x`)).status).toBe(401);
  });

  it("puts security headers on every response", async () => {
    const responses = [
      await fetch(`${app.url}/`, { headers: { cookie: session.header } }),
      await fetch(`${app.url}/`, { redirect: "manual" }),
      await fetch(`${app.url}/api/trpc/system.whoami`),
      await fetch(`${app.url}/api/healthz`),
      await fetch(`${app.url}/api/auth/nothing`),
    ];
    for (const res of responses) {
      const csp = res.headers.get("content-security-policy") ?? "";
      expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]+'/);
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain("unsafe-eval");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("referrer-policy")).toBe("strict-origin-when-cross-origin");
    }
    const nonces = responses.map((r) => /'nonce-([^']+)'/.exec(r.headers.get("content-security-policy") ?? "")?.[1]);
    expect(new Set(nonces).size).toBe(responses.length);
  });

  it("limits request bodies", async () => {
    const big = JSON.stringify({ name: "x".repeat(70_000) });
    const res = await fetch(`${app.url}/api/trpc/targets.create`, { method: "POST", headers: { authorization: `Bearer ${editor.token}`, "content-type": "application/json" }, body: big });
    expect(res.status).toBe(413);
    expect(await res.text()).toMatch(/at most 65536 bytes/);
    // A large upload still gets its answer (no connection reset before the 413 is read).
    const status = await new Promise<number>((resolve, reject) => {
      const body = "x".repeat(8_000_000);
      const request = http.request(`${app.url}/api/trpc/targets.create`, { method: "POST", headers: { "content-type": "application/json", "content-length": body.length } }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      request.on("error", reject);
      request.end(body);
    });
    expect(status).toBe(413);
  });

  it("protects /metrics with its token while health stays open", async () => {
    for (const route of ["/metrics", "/api/metrics"]) {
      expect((await fetch(app.url + route)).status).toBe(401);
      expect((await fetch(app.url + route, { headers: { authorization: "Bearer wrong-token-0123456789" } })).status).toBe(401);
      expect((await fetch(app.url + route, { headers: { cookie: session.header } })).status).toBe(401);
      const ok = await fetch(app.url + route, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toMatch(/^# (HELP|TYPE) /m);
    }
    expect((await fetch(`${app.url}/api/healthz`)).status).toBe(200);
  });

  it("refuses login from another origin", async () => {
    const res = await fetch(`${app.url}/api/auth/login`, { method: "POST", headers: { "content-type": "application/json", origin: "http://evil.example" }, body: JSON.stringify({ username: "admin", password: PASSWORD }) });
    expect(res.status).toBe(403);
    expect(res.headers.getSetCookie()).toEqual([]);
  });

  it("signs out: the old session cookie no longer works", async () => {
    const login = await fetch(`${app.url}/api/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username: "admin", password: PASSWORD }) });
    const second = cookiesFrom(login);
    expect((await callProcedure(app.url, "system.status", "query", { cookie: second.header })).status).not.toBe(401);
    const out = await fetch(`${app.url}/api/auth/logout`, { method: "POST", headers: { cookie: second.header, origin: app.url } });
    expect(out.status).toBe(200);
    expect(out.headers.getSetCookie().join("\n")).toMatch(/loopscope_session=; Path=\/; Max-Age=0/);
    expect(await callProcedure(app.url, "system.status", "query", { cookie: second.header })).toMatchObject({ status: 401, message: expect.stringMatching(/signed out/) });
  });

  // Last: it exhausts this address's login budget.
  it("rate limits login per address: 5 a minute, then 429 with a clear message", async () => {
    const attempt = (password: string) =>
      fetch(`${app.url}/api/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username: "admin", password }) });
    app.auth.loginLimiter.reset("127.0.0.1");
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await attempt(`wrong ${i}`)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    const limited = await attempt(PASSWORD);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(((await limited.json()) as { error: string }).error).toMatch(/^Too many sign-in attempts from this address\. Try again in \d+ s\.$/);
    expect(limited.headers.getSetCookie()).toEqual([]);
  });
});
