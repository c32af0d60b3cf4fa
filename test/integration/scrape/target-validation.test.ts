import { randomBytes } from "node:crypto";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TargetsService } from "../../../server/scrape/targets-service";
import { SecretBox } from "../../../server/secrets";
import { disconnectAll, prismaClient } from "../../../server/store/prisma";
import { createTestDatabase, type TestDatabase } from "../../support/db";

/**
 * Issue 15: targets are validated when they are saved, not only when they are scraped. A URL
 * the outbound policy refuses (the cloud metadata address) is rejected by create and update
 * with the variable that would allow it, and nothing stored changes.
 */
let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await disconnectAll();
  await database?.drop();
});

describe("targets are validated on save", () => {
  it("refuses a metadata address on create and on update, naming the variable, and keeps what was stored", async () => {
    const prisma = prismaClient(database.url);
    const targets = new TargetsService({ prisma, secrets: new SecretBox(randomBytes(32)), log: pino({ level: "silent" }), record: () => undefined });
    await targets.start();
    try {
      await expect(targets.create({ name: "metadata", url: "http://169.254.169.254/metrics", intervalMs: 60_000 })).rejects.toThrow(/LOOPSCOPE_ALLOW_METADATA_TARGETS/);
      expect(await targets.list()).toEqual([]);

      const kept = await targets.create({ name: "fine", url: "http://127.0.0.1:9/metrics", intervalMs: 60_000 });
      await expect(targets.update(kept.id, { url: "http://[::ffff:169.254.169.254]/metrics" })).rejects.toThrow(/LOOPSCOPE_ALLOW_METADATA_TARGETS/);
      const [after] = await targets.list();
      expect(after).toMatchObject({ id: kept.id, name: "fine", url: "http://127.0.0.1:9/metrics" });
    } finally {
      await targets.stop();
    }
  });
});
