import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { analyzeSeries } from "../../../server/anomaly/monitor";
import { ReportShaper } from "../../../server/anomaly/report-shaping";
import { normalFrom, seededRandom } from "../../../server/anomaly/synthetic";
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
    // The live code path's novelty, reported where it begins (see ReportShaper).
    const shaper = new ReportShaper();
    const expected = analyzeSeries(points).points.map((p) => shaper.next(p.novelty));
    rows.forEach((row, i) => {
      const [ts, score] = row.split(",");
      expect(ts).toBe(new Date(points[i][0]).toISOString());
      expect(Math.abs(Number(score) - expected[i])).toBeLessThanOrEqual(5.01e-5);
    });
    // The 5-minute departure is reported at its start, and not again while it lasts.
    const reported = expected.flatMap((x, i) => (x >= 0.5 ? [i] : []));
    expect(reported.length).toBeGreaterThanOrEqual(1);
    expect(reported.length).toBeLessThanOrEqual(3);
    expect(points[reported[0]][0]).toBeLessThanOrEqual(T0 + 90 * 60_000 + 15 * SEC);
    const windows = JSON.parse(lines[lines.length - 1]);
    expect(windows).toHaveLength(1);
    expect(windows[0]).toMatchObject({ start: new Date(T0 + 90 * 60_000).toISOString(), direction: "above", detector: "robust-seasonal-surprise-v3" });
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

describe("detect CLI on real-world file shapes (bundled entry point, as `npm run -s detect` runs it)", () => {
  async function bundled(file: string): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const { stdout, stderr } = await run(process.execPath, ["scripts/detect.mjs", file], { cwd: process.cwd(), maxBuffer: 32 << 20 });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  }

  it("never exits non-zero on repeated and out-of-order timestamps: one row out per row in, both counted on stderr", async () => {
    const hour = 3_600_000;
    const lines = ["timestamp,value"];
    // A daylight-saving repeat written in local time, as exports do: 01:00–01:45 twice; one exact duplicate; one row back in time.
    for (let i = 0; i < 200; i += 1) lines.push(`${new Date(Date.UTC(2026, 9, 20) + i * 15 * 60_000).toISOString().slice(0, 19).replace("T", " ")},${10 + (i % 7)}`);
    lines.splice(101, 0, ...lines.slice(97, 101));
    lines.splice(150, 0, lines[150]);
    lines.splice(180, 0, `${new Date(Date.UTC(2026, 9, 20) + hour).toISOString()},3`);
    const file = path.join(dir, "dst.csv");
    fs.writeFileSync(file, `${lines.join("\n")}\n`);
    const { code, stdout, stderr } = await bundled(file);
    expect(code).toBe(0);
    const out = stdout.trimEnd().split("\n");
    expect(out).toHaveLength(lines.length);
    expect(out.slice(1).map((l) => l.split(",")[0])).toEqual(lines.slice(1).map((l) => l.split(",")[0]));
    expect(stderr).toMatch(/2 row\(s\) repeat the previous timestamp/);
    expect(stderr).toMatch(/4 row\(s\) step back in time/);
  });

  it("scores a 50σ spike in an hourly series (the typical interval is an hour, not a gap every point)", async () => {
    const normal = normalFrom(seededRandom(50));
    const lines = ["timestamp,value"];
    for (let i = 0; i < 500; i += 1) lines.push(`${new Date(Date.UTC(2025, 0, 1) + i * 3_600_000).toISOString()},${(i === 400 ? 100 + 50 : 100 + normal()).toFixed(3)}`);
    const file = path.join(dir, "hourly.csv");
    fs.writeFileSync(file, `${lines.join("\n")}\n`);
    const { code, stdout } = await bundled(file);
    expect(code).toBe(0);
    const scores = stdout.trimEnd().split("\n").slice(1).map((l) => Number(l.split(",")[1]));
    expect(scores[400]).toBeGreaterThanOrEqual(0.9);
    expect(Math.max(...scores.slice(100, 400))).toBeLessThan(0.5);
  });
});
