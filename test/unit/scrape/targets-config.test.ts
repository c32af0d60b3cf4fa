import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DURATION_HINT } from "../../../shared/duration";
import { TargetsConfigError, loadScrapeTargets } from "../../../server/scrape/targets-config";

const dir = mkdtempSync(path.join(os.tmpdir(), "loopscope-targets-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string): string {
  const full = path.join(dir, name);
  writeFileSync(full, content);
  return full;
}

async function problems(source: Parameters<typeof loadScrapeTargets>[0]): Promise<string[]> {
  try {
    await loadScrapeTargets(source);
  } catch (error) {
    expect(error).toBeInstanceOf(TargetsConfigError);
    return (error as TargetsConfigError).problems;
  }
  throw new Error("expected a TargetsConfigError");
}

describe("loading scrape targets from a file and LOOPSCOPE_TARGETS", () => {
  it("reads full entries, URL strings, durations and secret files", async () => {
    const tokenFile = file("token", "s3cret-token\n");
    const config = file(
      "targets.json",
      JSON.stringify({
        targets: [
          {
            name: "orders-operator",
            url: "http://orders.ops:8080/metrics",
            interval: "30s",
            timeout: "5s",
            labels: { team: "payments" },
            auth: { kind: "bearer", tokenFile },
          },
          { url: "https://kcm.kube-system:10257/metrics", intervalMs: 60_000, auth: { kind: "basic", username: "prom", password: "pw" } },
          "http://10.0.0.9:9090/debug/metrics",
        ],
      }),
    );
    const targets = await loadScrapeTargets({ file: config, urls: " http://127.0.0.1:3000/metrics , ,http://127.0.0.1:3000/metrics" });
    expect(targets).toEqual([
      {
        name: "orders-operator",
        url: "http://orders.ops:8080/metrics",
        intervalMs: 30_000,
        timeoutMs: 5_000,
        labels: { team: "payments" },
        auth: { kind: "bearer", token: "s3cret-token" },
        honorLabels: false,
        enabled: true,
      },
      {
        name: "kcm.kube-system:10257",
        url: "https://kcm.kube-system:10257/metrics",
        intervalMs: 60_000,
        timeoutMs: 10_000,
        labels: {},
        auth: { kind: "basic", username: "prom", password: "pw" },
        honorLabels: false,
        enabled: true,
      },
      { name: "10.0.0.9:9090/debug/metrics", url: "http://10.0.0.9:9090/debug/metrics", intervalMs: 15_000, timeoutMs: 10_000, labels: {}, honorLabels: false, auth: { kind: "none" }, enabled: true },
      { name: "127.0.0.1:3000", url: "http://127.0.0.1:3000/metrics", intervalMs: 15_000, timeoutMs: 10_000, labels: {}, honorLabels: false, auth: { kind: "none" }, enabled: true },
      { name: "127.0.0.1:3000-2", url: "http://127.0.0.1:3000/metrics", intervalMs: 15_000, timeoutMs: 10_000, labels: {}, honorLabels: false, auth: { kind: "none" }, enabled: true },
    ]);
  });

  it("accepts a bare array and returns nothing when no source is given", async () => {
    expect(await loadScrapeTargets({ file: file("list.json", '["http://[::1]:9100/metrics"]') })).toMatchObject([{ name: "[::1]:9100", url: "http://[::1]:9100/metrics" }]);
    expect(await loadScrapeTargets({})).toEqual([]);
  });

  it("names every problem with its file, entry and field", async () => {
    const config = file(
      "bad.json",
      JSON.stringify([
        { name: "a", url: "ftp://x/metrics" },
        { name: "b", url: "http://b/metrics", interval: "5s", timeout: "10s" },
        { name: "a", url: "http://a2/metrics" },
        { name: "c", url: "http://c/metrics", auth: { kind: "bearer", tokenFile: path.join(dir, "missing") } },
      ]),
    );
    const found = await problems({ file: config, urls: "gopher://old" });
    expect(found).toEqual([
      `${config}: targets[0]: url: only http and https URLs can be scraped, not ftp`,
      `${config}: targets[1]: timeoutMs: the timeout (10000 ms) must not exceed the interval (5000 ms)`,
      `${config}: targets[2]: the name "a" is used by another target`,
      `${config}: targets[3]: cannot read the secret file ${path.join(dir, "missing")} (ENOENT)`,
      "LOOPSCOPE_TARGETS[0]: url: only http and https URLs can be scraped, not gopher",
    ]);
  });

  it("rejects unknown fields, bad durations and unreadable or invalid files", async () => {
    const typo = file("typo.json", JSON.stringify([{ url: "http://a/metrics", intervall: "5s" }]));
    expect((await problems({ file: typo }))[0]).toMatch(new RegExp(`^${typo}: .*intervall`));
    const duration = file("duration.json", JSON.stringify([{ url: "http://a/metrics", interval: "5 seconds" }]));
    expect(await problems({ file: duration })).toEqual([`${duration}: [0].interval: ${DURATION_HINT}`]);
    expect(await problems({ file: path.join(dir, "nope.json") })).toEqual([`${path.join(dir, "nope.json")}: cannot read the targets file (file not found)`]);
    const broken = file("broken.json", "{ not json");
    expect((await problems({ file: broken }))[0]).toMatch(/cannot read the targets file/);
  });
});
