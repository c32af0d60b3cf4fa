import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { mintApiToken } from "../../../server/auth/api-tokens";
import { TRPCError } from "@trpc/server";
import { PEER_HEADER } from "../../../server/auth/headers";
import { retryAfterOn429 } from "../../../server/http/respond";
import { QueryService } from "../../../server/query/query-service";
import { describeSeries } from "../../../server/recorder/sample";
import { SeriesStore } from "../../../server/store/series-store";
import { createTimeseriesPool, QUERY_SESSION_SETTINGS } from "../../../server/store/timeseries-pool";
import { createCallerFactory } from "../../../server/trpc/init";
import { retryAfterHeaders } from "../../../server/trpc/retry-after";
import { appRouter } from "../../../server/trpc/root";
import { createTestDatabase, type TestDatabase } from "../../support/db";
import { testServices } from "../../support/services";
import { type AuthHarness, startHarness } from "./harness";

/**
 * Every 429 Loopscope sends says when to come back (Retry-After), over real HTTP on loopback
 * (each scenario from its own source address): a client over its in-flight share, a token name
 * or an address past its failure limit (tRPC, batched, and a page), the sign-in rate limit and
 * the failed sign-in limit, an expensive query without a place (real Postgres), and any other
 * 429 whoever answers it.
 */
const PASSWORD = "correct horse battery";
const ci = mintApiToken("ci", "viewer", 4);
const DAY = 86_400_000;

interface Answer {
  status: number;
  retryAfter: string | undefined;
  body: string;
}

function request(url: string, options: { path: string; method?: string; headers?: Record<string, string>; body?: string; from?: string }): Promise<Answer> {
  const target = new URL(options.path, url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: target.hostname, port: target.port, path: target.pathname + target.search, method: options.method ?? "GET", headers: options.headers, localAddress: options.from, agent: false },
      (res) => {
        let body = "";
        res.on("data", (c: Buffer) => (body += c.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers["retry-after"], body }));
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

/** A Retry-After of whole seconds between 1 and `max`. */
function expectRetryAfter(answer: Answer, max = 60): void {
  expect(answer.status).toBe(429);
  expect(answer.retryAfter).toMatch(/^\d+$/);
  expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1);
  expect(Number(answer.retryAfter)).toBeLessThanOrEqual(max);
}

const trpcGet = (procedures: string[], inputs: unknown[]) =>
  `/api/trpc/${procedures.join(",")}?batch=1&input=${encodeURIComponent(JSON.stringify(Object.fromEntries(inputs.map((v, i) => [i, v]))))}`;

describe("Retry-After on every 429", () => {
  let app: AuthHarness;
  let db: TestDatabase;
  let pool: pg.Pool;
  let service: QueryService;

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = createTimeseriesPool(db.url, { applicationName: "loopscope-test-retry-after", max: 4, settings: QUERY_SESSION_SETTINGS });
    await new SeriesStore(pool).resolve([describeSeries("target:1", { metric: "retry_total", labels: {}, type: "counter", help: "" })]);
    // Any query of retry_total over a week is "expensive"; no queue, one place.
    service = new QueryService({ pool, admission: { expensiveCost: 100, maxRunning: 1, maxQueued: 0, perClient: 1 } });
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "loopscope-retry-after-"));
    app = await startHarness(
      {
        LOOPSCOPE_AUTH: "password",
        LOOPSCOPE_ADMIN_PASSWORD: PASSWORD,
        LOOPSCOPE_API_TOKENS: ci.entry,
        LOOPSCOPE_AUTH_FAILURE_LIMIT: "3",
        LOOPSCOPE_MAX_CONCURRENT_REQUESTS: "2",
        LOOPSCOPE_LOGIN_RATE_LIMIT: "2",
      },
      dataDir,
      { query: service },
    );
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await pool?.end();
    await db?.drop();
  });

  it("a client over its share of requests in flight", async () => {
    const port = Number(new URL(app.url).port);
    const held: net.Socket[] = [];
    try {
      for (let i = 0; i < 2; i += 1) {
        const socket = net.connect({ host: "127.0.0.1", port, localAddress: "127.0.4.1" });
        await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
        socket.write(`POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`);
        held.push(socket);
      }
      let refused: Answer | undefined;
      await vi.waitFor(
        async () => {
          refused = await request(app.url, { path: "/anything", from: "127.0.4.1" });
          expect(refused.status).toBe(429);
        },
        { timeout: 10_000 },
      );
      expectRetryAfter(refused as Answer, 1);
    } finally {
      for (const socket of held) socket.destroy();
    }
  });

  it("a token name past its failure limit: tRPC calls, batches and pages", async () => {
    const bogus = (i: number) => ({ authorization: `Bearer lst_ci_${String(i).padStart(32, "q")}` });
    const from = "127.0.4.2";
    const whoami = () => request(app.url, { path: "/api/trpc/system.whoami", headers: { authorization: `Bearer ${ci.token}` }, from: "127.0.4.4" });
    expect((await whoami()).status).toBe(200);
    for (let i = 0; i < 3; i += 1) expect((await request(app.url, { path: "/api/trpc/system.status", headers: bogus(i), from })).status).toBe(401);
    const single = await request(app.url, { path: "/api/trpc/system.status", headers: bogus(10), from: "127.0.4.3" });
    expectRetryAfter(single);
    expect(JSON.parse(single.body).error.data).toMatchObject({ code: "TOO_MANY_REQUESTS", retryAfterS: Number(single.retryAfter) });
    expect(JSON.parse(single.body).error.message).toMatch(/too many failed sign-ins or tokens for this account/);
    expectRetryAfter(await request(app.url, { path: trpcGet(["system.status", "query.sources"], [{}, {}]), headers: bogus(11), from: "127.0.4.3" }));
    expectRetryAfter(await request(app.url, { path: "/some/page", headers: bogus(12), from: "127.0.4.3" }));
    // The token in use is still accepted (refusals are for the attempts, not the name's holder).
    expect((await whoami()).status).toBe(200);
  });

  it("tRPC itself refuses a token past its limit with TOO_MANY_REQUESTS and the wait (when the gate did not answer first)", async () => {
    const caller = createCallerFactory(appRouter)({ headers: new Headers({ authorization: `Bearer lst_ci_${"r".repeat(32)}`, [PEER_HEADER]: "127.0.4.9" }), services: testServices({}, app.auth) });
    const error = await caller.system.status().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TRPCError);
    expect((error as TRPCError).code).toBe("TOO_MANY_REQUESTS");
    expect(retryAfterHeaders([error as TRPCError])?.["Retry-After"]).toMatch(/^[1-9]\d*$/);
  });

  it("the sign-in rate limit and the failed sign-in limit", async () => {
    const login = (password: string, from: string) =>
      request(app.url, { path: "/api/auth/login", method: "POST", headers: { "content-type": "application/json", origin: app.url }, body: JSON.stringify({ username: "admin", password }), from });
    expect((await login("wrong-1", "127.0.4.5")).status).toBe(401);
    expect((await login("wrong-2", "127.0.4.5")).status).toBe(401);
    expectRetryAfter(await login("wrong-3", "127.0.4.5"));
    // A third failure for the account (from another address) reaches the failure limit; the next is refused.
    expect((await login("wrong-4", "127.0.4.6")).status).toBe(401);
    expectRetryAfter(await login(PASSWORD, "127.0.4.7"));
  });

  it("an expensive query without a place, alone and in a batch with a cheap call", async () => {
    const hold = await service.admission.admit(Number.POSITIVE_INFINITY, "holder");
    try {
      const end = Date.now();
      const week = { metric: "retry_total", fn: "rate", start: end - 7 * DAY, end, stepMs: 60_000, maxPoints: 11_000 };
      const auth = { authorization: `Bearer ${ci.token}` };
      const alone = await request(app.url, { path: trpcGet(["query.range"], [week]), headers: auth, from: "127.0.4.8" });
      expectRetryAfter(alone);
      expect(alone.body).toMatch(/server busy with expensive queries/);
      const batch = await request(app.url, { path: trpcGet(["system.whoami", "query.range"], [{}, week]), headers: auth, from: "127.0.4.8" });
      expect(batch.status).toBe(207);
      expect(Number(batch.retryAfter)).toBeGreaterThanOrEqual(1);
    } finally {
      hold();
    }
  });

  it("any other 429, whoever answers it, gets one (its own when it set one)", async () => {
    const server = http.createServer((req, res) => {
      retryAfterOn429(res);
      if (req.url === "/own") res.writeHead(429, { "Retry-After": "7" }).end();
      else if (req.url === "/list") res.writeHead(429, ["retry-after", "9"]).end();
      else {
        res.statusCode = req.url === "/ok" ? 200 : 429;
        res.end("implicit head");
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      expect((await request(url, { path: "/implicit" })).retryAfter).toBe("1");
      expect((await request(url, { path: "/own" })).retryAfter).toBe("7");
      expect((await request(url, { path: "/list" })).retryAfter).toBe("9");
      expect((await request(url, { path: "/ok" })).retryAfter).toBeUndefined();
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
