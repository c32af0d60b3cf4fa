import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GoroutineCollector, type GoTarget } from "../../../server/goroutines/goroutine-collector";
import { DEFAULT_OUTBOUND_POLICY } from "../../../server/outbound/policy";
import { type PrismaClient, prismaClient } from "../../../server/store/prisma";
import { waitFor } from "../../leak-corpus/harness";
import { freePort } from "../../support/app-process";
import { createTestDatabase, type TestDatabase } from "../../support/db";
import { ensureGoPrograms, GO_BIN, type RunningProgram, startGoProgram } from "../../support/go-programs";

const INTERVAL_MS = 1_000;
let db: TestDatabase;
let prisma: PrismaClient;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  await ensureGoPrograms();
  db = await createTestDatabase();
  prisma = prismaClient(db.url);
}, 900_000);

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await prisma?.$disconnect();
  await db?.drop();
});

function collectorFor(targets: GoTarget[]): GoroutineCollector {
  const collector = new GoroutineCollector({ prisma, targets: async () => targets, policy: DEFAULT_OUTBOUND_POLICY, intervalMs: INTERVAL_MS });
  cleanups.push(() => collector.stop());
  return collector;
}

describe("goroutine collector on real Go programs", () => {
  it("Debian's Prometheus, a busy non-leaking Go server, is never a suspect", async () => {
    // Installed by scripts/ensure-prometheus.sh (apt) when missing.
    const binary = execFileSync("bash", ["-c", "command -v prometheus"]).toString().trim();
    const port = await freePort();
    const dir = mkdtempSync(path.join(tmpdir(), "loopscope-prom-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(path.join(dir, "prometheus.yml"), `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: self\n    static_configs:\n      - targets: ["127.0.0.1:${port}"]\n`);
    const prometheus: RunningProgram = await startGoProgram(
      binary,
      [`--config.file=${path.join(dir, "prometheus.yml")}`, `--web.listen-address=127.0.0.1:${port}`, `--storage.tsdb.path=${path.join(dir, "data")}`],
      /Server is ready to receive web requests/,
    );
    cleanups.push(() => prometheus.stop());
    const collector = collectorFor([{ id: 10, name: "prometheus", pprofUrl: `http://127.0.0.1:${port}/debug/pprof/` }]);
    await collector.start();
    // 30 dumps: every trend window of a 1 s interval but the longest (60 dumps) fits, while Prometheus scrapes itself every second.
    let everSuspect: string[] = [];
    await waitFor(
      () => {
        const status = collector.target(10);
        if (status?.suspects.length) everSuspect = status.suspects.map((s) => `${s.state} ${s.topUserFrame}`);
        return everSuspect.length > 0 || collector.collections(10) >= 30;
      },
      "30 dumps of Prometheus",
      180_000,
      50,
    );
    expect(everSuspect).toEqual([]);
    expect(collector.target(10)).toMatchObject({ lastError: null, leakProfile: false });
    expect(collector.target(10)!.goroutines).toBeGreaterThan(10);
  }, 300_000);

  it("shows the goroutineleak profile's entries as proven leaks (Go 1.26, GOEXPERIMENT=goroutineleakprofile)", async () => {
    expect(existsSync(path.join(GO_BIN, "go-leaker-leakprofile")), "scripts/build-go-fixtures.sh builds it where Go has the experiment").toBe(true);
    const port = await freePort();
    const leaker = await startGoProgram("go-leaker-leakprofile", [`-serve=127.0.0.1:${port}`], /listening=/);
    cleanups.push(() => leaker.stop());
    for (let i = 0; i < 3; i++) await fetch(`http://127.0.0.1:${port}/leak`).then((r) => r.text());
    const collector = collectorFor([{ id: 20, name: "leaker", pprofUrl: `http://127.0.0.1:${port}/debug/pprof` }]);
    await collector.collectOnce();
    const status = collector.target(20)!;
    expect(status).toMatchObject({ lastError: null, leakProfile: true, provenLeaks: 3 });
    expect(status.suspects).toHaveLength(1);
    expect(status.suspects[0]).toMatchObject({ state: "chan send", leaked: 3, count: 3 });
    expect(status.suspects[0].reasons).toContain("proven-leak");
    expect(status.suspects[0].topUserFrame).toContain("test/fixtures/goroutine-dumper/serve.go:16");
    const stored = await prisma.goroutineSnapshot.findFirst({ where: { targetId: 20 } });
    expect(stored?.leaked).toBe(3);
  }, 120_000);
});
