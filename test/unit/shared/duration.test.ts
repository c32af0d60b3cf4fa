import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { channelInputSchema } from "../../../server/alerting/channel-store";
import { validateRule } from "../../../server/alerting/rule-schema";
import { loadConfig } from "../../../server/config";
import { durationSchema, formatDuration, MAX_DURATION_MS, parseDuration } from "../../../shared/duration";
import { targetInputFrom } from "../../../app/targets/target-mapping";

/** Texts people type, with what Prometheus's own parser says (checked against promtool below). */
const CASES: [string, number | undefined][] = [
  ["0", 0],
  ["0s", 0],
  ["90s", 90_000],
  ["1h30m", 5_400_000],
  ["500ms", 500],
  ["1d1ms", 86_400_001],
  ["2w", 14 * 86_400_000],
  ["1y", 365 * 86_400_000],
  ["1y2w3d4h5m6s7ms", 365 * 86_400_000 + 17 * 86_400_000 + 4 * 3_600_000 + 5 * 60_000 + 6_000 + 7],
  ["01s", 1_000],
  ["290y", 290 * 365 * 86_400_000],
  ["1.5m", undefined],
  ["1m1m", undefined],
  ["30m1h", undefined],
  ["1h 30m", undefined],
  [" 5m", undefined],
  ["5m ", undefined],
  ["5M", undefined],
  ["-1s", undefined],
  ["+1s", undefined],
  ["1", undefined],
  ["s", undefined],
  ["", undefined],
  ["1us", undefined],
  ["5 minutes", undefined],
  ["300y", undefined],
  ["99999999999999999999ms", undefined],
];

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "loopscope-duration-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Prometheus's verdict: promtool accepts a rule file whose alert has `for: <text>` only when the text is a duration. */
function promtoolAccepts(text: string): boolean {
  const file = path.join(dir, "rules.yml");
  fs.writeFileSync(file, `groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: vector(1)\n        for: ${JSON.stringify(text)}\n`);
  const result = spawnSync("promtool", ["check", "rules", file], { encoding: "utf8" });
  if (result.error) throw new Error(`promtool is needed as the oracle (Debian's prometheus package; scripts/ensure-prometheus.sh installs it): ${result.error.message}`);
  return result.status === 0;
}

describe("one duration syntax: Prometheus's", () => {
  it.each(CASES)("%j → %s", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it("agrees with Prometheus itself (promtool) on every case", () => {
    const disagreements = CASES.filter(([text, ms]) => promtoolAccepts(text) !== (ms !== undefined)).map(([text]) => text);
    expect(disagreements).toEqual([]);
  });

  it("prints the way Prometheus does and round-trips", () => {
    expect([0, 500, 90_000, 5_400_000, 7 * 86_400_000, 10 * 86_400_000, 365 * 86_400_000, 86_400_000 + 1].map(formatDuration)).toEqual([
      "0s",
      "500ms",
      "1m30s",
      "1h30m",
      "1w",
      "10d",
      "1y",
      "1d1ms",
    ]);
    fc.assert(fc.property(fc.integer({ min: 0, max: MAX_DURATION_MS }), (ms) => parseDuration(formatDuration(ms)) === ms));
  });

  it("configuration, the alert API, channels, target files and the targets form accept and refuse the same texts", () => {
    for (const [text, ms] of CASES) {
      if (text.trim() !== text || text === "") continue; // the forms trim; the configuration ignores empty variables
      const config = () => loadConfig({ LOOPSCOPE_WATCH_RESYNC: text }).LOOPSCOPE_WATCH_RESYNC;
      const rule = validateRule({ name: "R", kind: "threshold", spec: { query: { metric: "m" }, comparator: ">", value: 1 }, for: text });
      const api = durationSchema({ max: MAX_DURATION_MS }).safeParse(text);
      const form = targetInputFrom({ name: "t", url: "http://127.0.0.1:1/metrics", interval: text, timeout: "1s", authKind: "none", username: "", secret: "", pprofUrl: "" });
      const channel = channelInputSchema.safeParse({ name: "c", kind: "webhook", url: "http://127.0.0.1:1/hook", groupWait: text });
      if (ms === undefined) {
        expect(config, text).toThrow(/expected a duration such as "90s"/);
        expect(api.success, text).toBe(false);
        expect("errors" in form, text).toBe(true);
        expect(channel.success, text).toBe(false);
        expect(rule.ok, text).toBe(false);
      } else {
        expect(config(), text).toBe(ms);
        expect(api.data, text).toBe(ms);
        expect("input" in form && form.input.intervalMs, text).toBe(ms);
        // Rules and channels also bound the value (for ≤ 7d, groupWait ≤ 1d): only those within range are accepted.
        if (ms <= 7 * 86_400_000) expect(rule.ok, text).toBe(true);
        if (ms <= 86_400_000) expect(channel.success, text).toBe(true);
      }
    }
  });
});
