import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChannelStore } from "../../../server/alerting/channel-store";
import { DEFAULT_OUTBOUND_POLICY } from "../../../server/outbound/policy";
import { TargetsService } from "../../../server/scrape/targets-service";
import { SecretBox } from "../../../server/secrets";
import { disconnectAll, prismaClient } from "../../../server/store/prisma";
import { createTestDatabase, type TestDatabase } from "../../support/db";

/**
 * Issue 17, item 2: an edit that moves a target (or a channel) to another host must not take
 * its stored credential along. Two real loopback exporters: the target's own, and one that
 * stands for a host of the attacker's choosing and records the Authorization it receives.
 */
const silent = pino({ level: "silent" });
let database: TestDatabase;

interface Exporter {
  url: string;
  authorizations: (string | undefined)[];
  server: http.Server;
}

async function exporter(): Promise<Exporter> {
  const authorizations: (string | undefined)[] = [];
  const server = http.createServer((req, res) => {
    authorizations.push(req.headers.authorization);
    res.setHeader("content-type", "text/plain; version=0.0.4");
    res.end("# TYPE probe gauge\nprobe 1\n");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`, authorizations, server };
}

let own: Exporter;
let elsewhere: Exporter;

beforeAll(async () => {
  database = await createTestDatabase();
  [own, elsewhere] = await Promise.all([exporter(), exporter()]);
});
afterAll(async () => {
  for (const e of [own, elsewhere]) await new Promise((resolve) => e?.server.close(resolve));
  await disconnectAll();
  await database?.drop();
});

describe("credentials stay with their host", () => {
  it("a target moved to another host is scraped without the stored token unless it is given again", async () => {
    const prisma = prismaClient(database.url);
    const targets = new TargetsService({ prisma, secrets: new SecretBox(randomBytes(32)), log: silent, record: () => undefined });
    await targets.start();
    try {
    const created = await targets.create({ name: "guarded", url: own.url, intervalMs: 60_000, auth: { kind: "bearer", token: "s3cret-token" } });
    await targets.scrapeNow(created.id);
    expect(own.authorizations).toContain("Bearer s3cret-token");
    // Same origin, another path: the token stays.
    const samePlace = await targets.update(created.id, { url: own.url.replace("/metrics", "/other") });
    expect(samePlace.hasSecret).toBe(true);

    const moved = await targets.update(created.id, { url: elsewhere.url });
    expect(moved.hasSecret).toBe(false);
    expect(moved.authKind).toBe("none");
    await targets.scrapeNow(created.id);
    expect(elsewhere.authorizations.length).toBeGreaterThan(0);
    expect(elsewhere.authorizations).not.toContain("Bearer s3cret-token");

    // Given again with the move, it is kept.
    const regiven = await targets.update(created.id, { url: own.url, auth: { kind: "bearer", token: "new-token" } });
    expect(regiven.hasSecret).toBe(true);
    await targets.scrapeNow(created.id);
    expect(own.authorizations).toContain("Bearer new-token");
    } finally {
      await targets.stop();
    }
  });

  it("a channel moved to another host loses its signing secret unless it is given again", async () => {
    const prisma = prismaClient(database.url);
    const channels = new ChannelStore(prisma, new SecretBox(randomBytes(32)), DEFAULT_OUTBOUND_POLICY);
    const channel = await channels.create({ name: "signed", kind: "webhook", url: "http://127.0.0.1:9/hook", secret: "hmac-secret" });
    expect((await channels.update(channel.id, { url: "http://127.0.0.1:9/other-path" })).hasSecret).toBe(true);
    expect((await channels.update(channel.id, { url: "http://127.0.0.1:10/hook" })).hasSecret).toBe(false);
    expect((await channels.update(channel.id, { url: "http://127.0.0.1:11/hook", secret: "again" })).hasSecret).toBe(true);
    expect((await channels.target(channel.id))?.secret).toBe("again");
  });
});
