"use client";

import { useId, useState } from "react";
import { formatAgo } from "../format/time";

export interface FullCaptureControlProps {
  /** Full capture (creation stacks for every handle) is on. */
  active: boolean;
  /** When it switches itself off. */
  until: number | null;
  now: number;
  onStart: (minutes: number) => void;
  onStop?: () => void;
  busy?: boolean;
  minuteOptions?: readonly number[];
}

/** Turns on full handle capture for N minutes (it is costly, so it always switches itself off). */
export function FullCaptureControl({ active, until, now, onStart, onStop, busy = false, minuteOptions = [1, 5, 15, 30] }: FullCaptureControlProps) {
  const id = useId();
  const [minutes, setMinutes] = useState(minuteOptions[1] ?? minuteOptions[0] ?? 5);
  return (
    <div className="full-capture control-group" data-testid="full-capture" data-active={active}>
      {active ? (
        <>
          <span className="status-degraded" role="status">
            Full capture on{until ? `, ends ${formatAgo(until, now)}` : ""}
          </span>
          {onStop ? (
            <button type="button" onClick={onStop} disabled={busy}>
              Stop now
            </button>
          ) : null}
        </>
      ) : (
        <>
          <label htmlFor={id} className="control-label">
            Full capture for
          </label>
          <select id={id} value={minutes} onChange={(e) => setMinutes(Number(e.target.value))}>
            {minuteOptions.map((m) => (
              <option key={m} value={m}>
                {m} min
              </option>
            ))}
          </select>
          <button type="button" onClick={() => onStart(minutes)} disabled={busy}>
            {busy ? "Starting…" : "Start"}
          </button>
          <small className="muted">Records a creation stack for every new handle; slows reconciles while on.</small>
        </>
      )}
    </div>
  );
}
