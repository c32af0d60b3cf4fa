"use client";

import type { ReactNode } from "react";
import type { GoTargetStatus } from "../../server/goroutines/goroutine-collector";

/** What the tRPC `leaks.goTargets` query returns for each target. */
export type GoTargetRow = GoTargetStatus;

const REASON_TEXT: Record<string, string> = {
  "proven-leak": "proven leaked (goroutineleak profile)",
  growth: "growing (trend test)",
  blocked: "blocked too long",
};

/**
 * Go targets (and Node agents) collected through pprof: their goroutine groups under
 * suspicion, and (through `resources`) a chart of each target's recorded goroutines and
 * open descriptors.
 */
export function GoTargetsPanel({ targets, resources }: { targets: readonly GoTargetRow[]; resources?: (target: GoTargetRow) => ReactNode }) {
  if (targets.length === 0) {
    return <p className="muted">No target has a pprof URL. Give a scrape target one (its pprof URL on the Targets page, or pprofUrl in LOOPSCOPE_TARGETS_FILE; e.g. http://host:8082/debug/pprof/) to watch its goroutines.</p>;
  }
  return (
    <div data-testid="go-targets">
      {targets.map((t) => (
        <div key={t.targetId} className="go-target" data-target={t.name}>
          <h3>
            {t.name}{" "}
            <span className="muted">
              {t.goroutines} goroutines in {t.groups} groups · leak profile {t.leakProfile ? `served (${t.provenLeaks} proven)` : t.leakProfile === false ? "not served" : "unknown"} · collector{" "}
              {t.collectorCpuMsPerMinute.toFixed(0)} ms CPU/min
            </span>
          </h3>
          {t.lastError ? <p className="error">{t.lastError}</p> : null}
          {resources ? <div data-testid="go-target-resources">{resources(t)}</div> : null}
          {t.suspects.length === 0 ? (
            <p className="muted">No suspect.</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th>Where (top user frame)</th>
                  <th>State</th>
                  <th className="num">Goroutines</th>
                  <th className="num">Growth/min</th>
                  <th>Why</th>
                </tr>
              </thead>
              <tbody>
                {t.suspects.map((s) => (
                  <tr key={s.id}>
                    <td>
                      <details>
                        <summary>
                          <code>{s.topUserFrame ?? "(no frame)"}</code>
                        </summary>
                        <pre>{s.userStack.join("\n")}</pre>
                      </details>
                    </td>
                    <td>
                      {s.state}
                      {s.maxWaitMinutes > 0 ? `, ${s.maxWaitMinutes} min` : ""}
                    </td>
                    <td className="num">{s.count}</td>
                    <td className="num">{s.growthPerMinute.toFixed(1)}</td>
                    <td>{s.reasons.map((r) => REASON_TEXT[r] ?? r).join("; ")}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      ))}
    </div>
  );
}
