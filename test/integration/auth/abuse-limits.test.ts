import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import bcrypt from "bcryptjs";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { mintApiToken } from "../../../server/auth/api-tokens";
import { type AuthHarness, startHarness } from "./harness";

/**
 * Issue 17, items 3 and 11, against the real request gate and tRPC handler on loopback:
 * a flood of bogus `Bearer lst_<known-name>_…` tokens, a password guesser rotating 20 source
 * addresses (127.0.0.2 … 127.0.0.21, real sockets bound to each), an oversized tRPC batch,
 * and one client holding many requests open.
 */
const PASSWORD = "correct horse battery";
const ci = mintApiToken("ci", "viewer", 10);

interface Answer {
  status: number;
  body: string;
  retryAfter?: string;
}

function request(url: string, options: { path: string; method?: string; headers?: Record<string, string>; body?: string; from?: string }): Promise<Answer> {
  const target = new URL(options.path, url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: target.hostname, port: target.port, path: target.pathname + target.search, method: options.method ?? "GET", headers: options.headers, localAddress: options.from, agent: false },
      (res) => {
        let body = "";
        res.on("data", (c: Buffer) => (body += c.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body, retryAfter: res.headers["retry-after"] }));
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

const bogus = (i: number) => `lst_ci_${String(i).padStart(32, "x")}`;

describe("abuse limits of the request gate", () => {
  let app: AuthHarness;

  beforeAll(async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "loopscope-abuse-"));
    app = await startHarness(
      { LOOPSCOPE_AUTH: "password", LOOPSCOPE_ADMIN_PASSWORD: PASSWORD, LOOPSCOPE_API_TOKENS: ci.entry, LOOPSCOPE_AUTH_FAILURE_LIMIT: "10", LOOPSCOPE_MAX_CONCURRENT_REQUESTS: "8", LOOPSCOPE_LOGIN_RATE_LIMIT: "100" },
      dataDir,
    );
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await app?.close();
  });

  it("a flood of bogus tokens for a known name costs at most the failure limit in bcrypt hashes; the real token keeps working", async () => {
    const call = (procedure: string, token: string, from?: string) => request(app.url, { path: `/api/trpc/${procedure}`, headers: { authorization: `Bearer ${token}` }, from });
    const whoami = async (token: string) => JSON.parse((await call("system.whoami", token)).body).result.data.principal;
    expect(await whoami(ci.token)).toMatchObject({ name: "ci", role: "viewer" });
    // bcrypt runs on the worker thread only: the event loop never hashes.
    const onEventLoop = [vi.spyOn(bcrypt, "compare"), vi.spyOn(bcrypt, "compareSync")];
    const checksBefore = app.auth.credentialChecks;
    const answers: Answer[] = [];
    for (let round = 0; round < 10; round += 1) {
      answers.push(...(await Promise.all(Array.from({ length: 20 }, (_, i) => call("system.status", bogus(round * 20 + i), `127.0.0.${2 + i}`)))));
      // The legitimate client is never locked out by someone else's failures.
      expect(await whoami(ci.token)).toMatchObject({ name: "ci" });
    }
    expect(app.auth.credentialChecks - checksBefore).toBeLessThanOrEqual(10);
    expect(app.auth.credentialChecks - checksBefore).toBeGreaterThan(0);
    expect(onEventLoop.map((spy) => spy.mock.calls.length)).toEqual([0, 0]);
    // Refused for the token (401) until the limit, then for the limit (429, with when to retry).
    const limited = answers.filter((a) => a.status === 429);
    expect(answers.every((a) => a.status === 401 || a.status === 429)).toBe(true);
    expect(limited.length).toBeGreaterThanOrEqual(180);
    expect(limited.every((a) => a.body.includes("too many failed") && Number(a.retryAfter) >= 1)).toBe(true);
    for (const spy of onEventLoop) spy.mockRestore();
  });

  it("sign-in guesses from 20 rotating addresses are limited per account", async () => {
    const login = (password: string, from: string) =>
      request(app.url, {
        path: "/api/auth/login",
        method: "POST",
        headers: { "content-type": "application/json", origin: app.url },
        body: JSON.stringify({ username: "admin", password }),
        from,
      });
    const statuses: number[] = [];
    for (let i = 0; i < 20; i += 1) statuses.push((await login(`guess-${i}`, `127.0.1.${2 + i}`)).status);
    // Each address tried once (far below the per-address limit), yet the account is limited after 10 failures.
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses.slice(10)).toEqual(Array(10).fill(429));
    const fresh = await login(PASSWORD, "127.0.2.50");
    expect(fresh.status).toBe(429);
    expect(JSON.parse(fresh.body).error).toMatch(/too many failed sign-ins or tokens for this account; try again in \d+ s/);
  });

  it("refuses a tRPC batch above LOOPSCOPE_TRPC_MAX_BATCH before running any of it", async () => {
    const names = Array.from({ length: 17 }, () => "system.status").join(",");
    const input = encodeURIComponent(JSON.stringify(Object.fromEntries(Array.from({ length: 17 }, (_, i) => [i, {}]))));
    const refused = await request(app.url, { path: `/api/trpc/${names}?batch=1&input=${input}` });
    expect(refused.status).toBe(400);
    expect(JSON.parse(refused.body).error).toMatch(/batch of 17 procedures is more than the 16 allowed/);
    const allowed = await request(app.url, { path: `/api/trpc/${names.split(",").slice(0, 16).join(",")}?batch=1&input=${input}` });
    expect(allowed.status).toBe(401); // reaches tRPC (not signed in), not refused by the gate
  });

  it("one client holding requests open gets 429 past its share; others and health probes are still served", async () => {
    const port = Number(new URL(app.url).port);
    const held: net.Socket[] = [];
    try {
      // Eight sign-ins whose body never finishes arriving: each is a request in flight.
      for (let i = 0; i < 8; i += 1) {
        const socket = net.connect({ host: "127.0.0.1", port, localAddress: "127.0.3.1" });
        await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
        socket.write(`POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`);
        held.push(socket);
      }
      await vi.waitFor(async () => expect((await request(app.url, { path: "/anything", from: "127.0.3.1" })).status).toBe(429), { timeout: 10_000 });
      expect((await request(app.url, { path: "/anything", from: "127.0.3.1" })).retryAfter).toBe("1");
      expect((await request(app.url, { path: "/api/healthz", from: "127.0.3.1" })).status).toBe(200);
      expect((await request(app.url, { path: "/anything", from: "127.0.3.2" })).status).not.toBe(429);
    } finally {
      for (const socket of held) socket.destroy();
    }
    await vi.waitFor(async () => expect((await request(app.url, { path: "/anything", from: "127.0.3.1" })).status).not.toBe(429), { timeout: 10_000 });
  });
});
