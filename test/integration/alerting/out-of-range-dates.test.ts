import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAlerting } from "../../../server/alerting";
import { type PrismaClient, prismaClient } from "../../../server/store/prisma";
import { createCallerFactory } from "../../../server/trpc/init";
import { alertsRouter } from "../../../server/trpc/routers/alerts";
import { createTestDatabase, type TestDatabase } from "../../support/db";
import { testServices } from "../../support/services";

/**
 * Issue 17, item 9: times past JavaScript's or PostgreSQL's range (year 275760, 1e20 ms,
 * year 10000) are refused as bad input (tRPC BAD_REQUEST, HTTP 400) saying what is wrong,
 * never a 500 carrying the raw database error. Real PostgreSQL behind the real stores.
 */
const services = testServices();
let db: TestDatabase;
let prisma: PrismaClient;
const stops: (() => Promise<void>)[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = prismaClient(db.url);
  const alerting = createAlerting({
    config: { HOST: "127.0.0.1", PORT: 3999, LOOPSCOPE_ALLOW_PRIVATE_TARGETS: false, dataDir: "/nonexistent", LOOPSCOPE_PUBLIC_URL: undefined, LOOPSCOPE_SECRET_KEY: "cd".repeat(32) },
    databaseUrl: db.url,
    sources: { queryInstant: async () => [], openAnomalyWindows: async () => [], leakTrends: async () => [], lastSampleAge: async () => 0 },
    controllers: () => [],
  });
  services.alerting.provide(alerting.evaluator);
  services.notifier.provide(alerting.notifier);
  stops.push(() => prisma.$disconnect());
});
afterAll(async () => {
  for (const stop of stops) await stop();
  await db?.drop();
});

const caller = () => createCallerFactory(alertsRouter)({ headers: new Headers(), services });
const matchers = [{ name: "alertname", op: "=" as const, value: "X" }];

describe("out-of-range dates are bad input, not server errors", () => {
  it.each([
    ["the end of JavaScript's range", 8.64e15],
    ["beyond JavaScript's range", 1e20],
    ["year 10000", 253_402_300_800_000],
  ])("a silence ending at %s", async (_what, endsAt) => {
    await expect(caller().silences.create({ matchers, endsAt, createdBy: "t", comment: "c" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/endsAt[\s\S]*must be a time between the years 1 and 9999/),
    });
  });

  it("a silence at an ISO date in year 9999 is fine, one past it is refused", async () => {
    const ok = await caller().silences.create({ matchers, endsAt: "9999-12-31T00:00:00Z", createdBy: "t", comment: "c" });
    expect(ok.endsAt).toBe(Date.parse("9999-12-31T00:00:00Z"));
  });

  it.each([8.64e15, 1e20, -1])("alert history from/to %s", async (at) => {
    const error = await caller()
      .history({ from: at, to: at })
      .then(() => undefined, (e: unknown) => e);
    expect(error).toMatchObject({ code: "BAD_REQUEST", message: expect.stringMatching(/must be a time between 1970-01-01 and 9999-12-31/) });
    expect(String((error as Error).message)).not.toMatch(/postgres|prisma|timestamp|out of range/i);
  });
});
