import { readdirSync, readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GoroutineCollector } from "../../../server/goroutines/goroutine-collector";
import { parseGoroutineDump } from "../../../server/goroutines/goroutine-dump";
import { GoroutineStore } from "../../../server/goroutines/goroutine-store";
import { DEFAULT_OUTBOUND_POLICY } from "../../../server/outbound/policy";
import { type PrismaClient, prismaClient } from "../../../server/store/prisma";
import { createTestDatabase, type TestDatabase } from "../../support/db";

/**
 * Debian's Prometheus 2.42, scraping itself every second, dumped every 30 s for 12.5
 * minutes (test/fixtures/goroutine-dumps/prometheus-2.42-debian-12min: file name = ms since
 * the first dump). The real collector, at the product's default 30 s interval on a clock
 * that follows the capture times, collects them from a loopback pprof server: a
 * non-leaking look-alike is never a suspect, not by growth and not by long blocks, though
 * by the end some of its goroutines have waited more than 10 minutes (idle waits). The
 * same dumps with a goroutine leaked per dump are a suspect, so the replay can tell.
 */
const dir = path.join(import.meta.dirname, "../../fixtures/goroutine-dumps/prometheus-2.42-debian-12min");
const dumps = readdirSync(dir)
  .filter((f) => f.endsWith(".txt"))
  .sort()
  .map((f) => ({ offsetMs: Number(f.replace(".txt", "")), text: readFileSync(path.join(dir, f), "utf8") }));
const T0 = Date.parse("2026-12-02T16:04:04Z");

let db: TestDatabase;
let prisma: PrismaClient;
let server: http.Server;
let base: string;
let serving = "";

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = prismaClient(db.url);
  server = http.createServer((req, res) => {
    // Go 1.19's net/http/pprof has no goroutineleak profile.
    if (req.url?.startsWith("/debug/pprof/goroutine?")) res.writeHead(200, { "content-type": "text/plain; charset=utf-8" }).end(serving);
    else res.writeHead(404, { "content-type": "text/plain" }).end("Unknown profile\n");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/debug/pprof/`;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await prisma?.$disconnect();
  await db?.drop();
});

/** A goroutine stuck on a channel send in the program's own code, one more per dump. */
function withLeak(text: string, leaked: number): string {
  let extra = "";
  for (let i = 0; i < leaked; i++) {
    extra += `goroutine ${900_000 + i} [chan send]:\nmain.leakOne.func1()\n\t/src/leaky/main.go:35 +0x1d\ncreated by main.leakOne in goroutine 1\n\t/src/leaky/main.go:34 +0x4f\n\n`;
  }
  return `${text.trimEnd()}\n\n${extra}`;
}

async function replay(targetId: number, leakPerDump: number): Promise<{ everSuspect: string[]; collector: GoroutineCollector }> {
  let now = T0;
  const collector = new GoroutineCollector({ prisma, targets: async () => [{ id: targetId, name: "prometheus", pprofUrl: base }], policy: DEFAULT_OUTBOUND_POLICY, now: () => now });
  const everSuspect: string[] = [];
  for (const [i, dump] of dumps.entries()) {
    now = T0 + dump.offsetMs;
    serving = leakPerDump > 0 ? withLeak(dump.text, i * leakPerDump) : dump.text;
    await collector.collectOnce();
    for (const s of collector.target(targetId)?.suspects ?? []) everSuspect.push(`${Math.round(dump.offsetMs / 1000)} s: ${s.state} ${s.reasons.join("+")} ${s.topUserFrame}`);
  }
  await collector.stop();
  return { everSuspect, collector };
}

describe("Prometheus, a busy non-leaking Go server, over more than 10 minutes at the product's 30 s interval", () => {
  it("the captured dumps span 10 minutes and end with goroutines idle for 10 minutes or more", () => {
    expect(dumps.length).toBeGreaterThanOrEqual(21);
    expect(dumps[dumps.length - 1].offsetMs).toBeGreaterThanOrEqual(600_000);
    const last = parseGoroutineDump(dumps[dumps.length - 1].text).goroutines;
    expect(Math.max(...last.map((g) => g.waitMinutes))).toBeGreaterThanOrEqual(10);
  });

  it("is never a suspect", async () => {
    const { everSuspect, collector } = await replay(1, 0);
    expect(everSuspect).toEqual([]);
    expect(collector.target(1)).toMatchObject({ lastError: null, leakProfile: false, goroutines: parseGoroutineDump(dumps[dumps.length - 1].text).goroutines.length });
    expect(await prisma.goroutineSnapshot.count({ where: { targetId: 1 } })).toBe(dumps.length);
  });

  it("the same dumps with one goroutine leaked per dump are a suspect at the leaking line", async () => {
    const { everSuspect } = await replay(2, 1);
    expect(everSuspect.length).toBeGreaterThan(0);
    expect(everSuspect[0]).toMatch(/chan send growth main\.leakOne\.func1 \(\/src\/leaky\/main\.go:35\)/);
  });

  it("keeps the stored counts bounded: retention drops older dumps and the groups not seen since", async () => {
    const cutoff = T0 + 300_000;
    const kept = dumps.filter((d) => T0 + d.offsetMs >= cutoff).length;
    const pruned = await new GoroutineStore(prisma).prune(cutoff);
    expect(pruned.snapshots).toBe(2 * (dumps.length - kept));
    expect(await prisma.goroutineSnapshot.count()).toBe(2 * kept);
    const stale = await prisma.goroutineGroup.count({ where: { lastSeen: { lt: new Date(cutoff) } } });
    expect(stale).toBe(0);
  });
});
