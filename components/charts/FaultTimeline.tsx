import { formatTick } from "../format/time";
import type { FaultWindow } from "../../server/runtime/runtime";
import type { TimeRange } from "./types";

/** A fault window as the runtime reports it (type only: components hold no server code). */
export type FaultWindowView = FaultWindow;

/**
 * The demo's ground truth: which fault ran when, as a strip aligned with the charts' time axis
 * (same range). Faults of other controllers are drawn muted, so a cross-controller effect is visible.
 */
export function FaultTimeline({ faults, range, controller, now }: { faults: readonly FaultWindowView[]; range: TimeRange; controller: string; now: number }) {
  const span = Math.max(1, range.to - range.from);
  const pct = (t: number) => `${(100 * (Math.min(range.to, Math.max(range.from, t)) - range.from)) / span}%`;
  const visible = faults.filter((f) => f.startAt <= range.to && (f.endAt ?? now) >= range.from && f.startAt <= now);
  return (
    <section className="fault-timeline panel" aria-label="Demo fault timeline" data-testid="fault-timeline">
      <h2 className="fault-timeline-title">
        Demo faults <span className="muted">(ground truth of the simulated cluster)</span>
      </h2>
      {visible.length === 0 ? <p className="muted">No demo fault ran in this range.</p> : null}
      <ul className="fault-strip">
        {visible.map((f) => {
          const end = Math.min(f.endAt ?? now, now);
          const label = `${f.fault} on ${f.controller}${f.key ? ` (${f.key})` : ""}: ${formatTick(f.startAt, range.from, range.to)}–${f.endAt === null || f.endAt > now ? "now" : formatTick(end, range.from, range.to)}`;
          return (
            <li
              key={f.id}
              className={`fault-segment${f.controller === controller ? " fault-mine" : ""}${f.state === "active" ? " fault-active" : ""}`}
              style={{ left: pct(f.startAt), width: `max(3px, calc(${pct(end)} - ${pct(f.startAt)}))` }}
              title={label}
              data-fault={f.fault}
            >
              <span className="fault-label">{f.fault}</span>
            </li>
          );
        })}
      </ul>
      <ul className="fault-list">
        {visible.map((f) => (
          <li key={f.id} className={f.controller === controller ? undefined : "muted"}>
            <strong>{f.fault}</strong> on {f.controller}
            {f.key ? ` (${f.key})` : ""} · {formatTick(f.startAt, range.from, range.to)}–{f.endAt === null || f.endAt > now ? "now" : formatTick(f.endAt, range.from, range.to)}
          </li>
        ))}
      </ul>
    </section>
  );
}
