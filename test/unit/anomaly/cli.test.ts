import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { analyzeSeries } from "../../../server/anomaly/monitor";
import { noisy, SEC, T0 } from "./series";

const run = promisify(execFile);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "loopscope-detect-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function detect(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", "scripts/detect.ts", ...args], { cwd: process.cwd() });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("scripts/detect.ts (backtest CLI)", () => {
  const points = noisy({ seed: 31, intervalMs: 5 * SEC, durationMs: 2 * 3_600_000, sigma: 2 }, (ts) => (ts >= T0 + 90 * 60_000 && ts < T0 + 95 * 60_000 ? 90 : 50));

  it("prints one score per input row, and the windows of the live code path as JSON", async () => {
    const file = path.join(dir, "series.csv");
    fs.writeFileSync(file, `timestamp,value\n${points.map(([ts, v]) => `${new Date(ts).toISOString()},${v}`).join("\n")}\n`);
    const { code, stdout } = await detect(file, "--windows");
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split("\n");
    expect(lines[0]).toBe("timestamp,anomaly_score");
    const rows = lines.slice(1, -1);
    expect(rows).toHaveLength(points.length);
    const expected = analyzeSeries(points);
    rows.forEach((row, i) => {
      const [ts, score] = row.split(",");
      expect(ts).toBe(new Date(points[i][0]).toISOString());
      expect(Number(score)).toBeCloseTo(expected.points[i].score, 4);
    });
    const windows = JSON.parse(lines[lines.length - 1]);
    expect(windows).toHaveLength(1);
    expect(windows[0]).toMatchObject({ start: new Date(T0 + 90 * 60_000).toISOString(), direction: "above", detector: "robust-seasonal-v1" });
    expect(windows[0].params).toMatchObject({ sensitivity: "medium" });
  });

  it("reads epoch seconds without a header and honours --sensitivity", async () => {
    const file = path.join(dir, "epoch.csv");
    fs.writeFileSync(file, points.map(([ts, v]) => `${ts / 1000},${v}`).join("\n"));
    const { code, stdout } = await detect(file, "--sensitivity", "low");
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(points.length + 1);
    expect(lines[1]).toBe(`${points[0][0] / 1000},0.0000`);
  });

  it("fails with the file, line number and reason for a bad row", async () => {
    const file = path.join(dir, "bad.csv");
    fs.writeFileSync(file, "timestamp,value\n1767571200,1\n1767571205,n/a\n");
    const { code, stdout, stderr } = await detect(file);
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toContain(`${file}: line 3: value "n/a" is not a number`);
  });

  it("explains its usage", async () => {
    expect((await detect()).code).toBe(2);
    const bad = await detect(path.join(dir, "x.csv"), "--sensitivity", "extreme");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--sensitivity must be low, medium or high/);
  });
});
