import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TargetsService } from "../../../server/scrape/targets-service";
import { SecretBox } from "../../../server/secrets";
import { disconnectAll, prismaClient } from "../../../server/store/prisma";
import { waitUntil } from "../../support/apiserver";
import { createTestDatabase, type TestDatabase } from "../../support/db";

const silent = pino({ level: "silent" });

let database: TestDatabase;
let exporter: http.Server;
let exporterUrl = "";
let scrapes = 0;

beforeAll(async () => {
  database = await createTestDatabase();
  exporter = http.createServer((_req, res) => {
    scrapes += 1;
    res.setHeader("content-type", "text/plain; version=0.0.4");
    res.end("# TYPE replica_probe gauge\nreplica_probe 1\n");
  });
  await new Promise<void>((resolve) => exporter.listen(0, "127.0.0.1", resolve));
  exporterUrl = `http://127.0.0.1:${(exporter.address() as AddressInfo).port}/metrics`;
});

afterAll(async () => {
  await new Promise((resolve) => exporter.close(resolve));
  await disconnectAll();
  await database.drop();
});

describe("scrape targets across replicas", () => {
  it("the running replica picks up targets added and removed through another replica's API", async () => {
    const prisma = prismaClient(database.url);
    const secrets = new SecretBox(randomBytes(32));
    const recorded: string[] = [];
    // The leader runs its scheduler; the follower only serves the API (its service is never started).
    const leader = new TargetsService({ prisma, secrets, log: silent, reloadEveryMs: 100, record: (source) => recorded.push(source) });
    const follower = new TargetsService({ prisma, secrets, log: silent, record: () => expect.unreachable("a follower never scrapes") });
    await leader.start();
    try {
      const target = await follower.create({ name: "added-on-follower", url: exporterUrl, intervalMs: 1_000 });
      await waitUntil("the leader scrapes the new target", () => recorded.includes(`target:${target.id}`), { timeoutMs: 10_000 });
      expect(scrapes).toBeGreaterThan(0);

      await follower.remove(target.id);
      await new Promise((resolve) => setTimeout(resolve, 300)); // a few reloads
      const after = scrapes;
      await new Promise((resolve) => setTimeout(resolve, 1_500)); // longer than the interval
      expect(scrapes).toBe(after);
    } finally {
      await leader.stop();
    }
  });
});
