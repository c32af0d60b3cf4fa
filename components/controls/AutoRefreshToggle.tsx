"use client";

import { useId } from "react";
import { formatDuration } from "../../shared/duration";
import { formatTime } from "../format/time";
import { REFRESH_OPTIONS_MS, type RefreshSetting } from "./time-range";

export interface AutoRefreshToggleProps {
  intervalMs: number;
  paused: boolean;
  onChange: (next: RefreshSetting) => void;
  options?: readonly number[];
  /** When the data was last fetched; shown as "updated 12:03:04". */
  lastUpdatedAt?: number | null;
}

/** Auto-refresh interval select and a pause/resume button. Controlled. */
export function AutoRefreshToggle({ intervalMs, paused, onChange, options = REFRESH_OPTIONS_MS, lastUpdatedAt }: AutoRefreshToggleProps) {
  const id = useId();
  const choices = options.includes(intervalMs) ? options : [...options, intervalMs].sort((a, b) => a - b);
  return (
    <fieldset className="auto-refresh control-group" data-testid="auto-refresh">
      <legend className="visually-hidden">Auto-refresh</legend>
      <label htmlFor={`${id}-interval`} className="control-label">
        Refresh every
      </label>
      <select id={`${id}-interval`} value={intervalMs} onChange={(e) => onChange({ intervalMs: Number(e.target.value), paused })} disabled={paused}>
        {choices.map((ms) => (
          <option key={ms} value={ms}>
            {formatDuration(ms)}
          </option>
        ))}
      </select>
      <button type="button" aria-pressed={paused} onClick={() => onChange({ intervalMs, paused: !paused })} data-testid="refresh-pause">
        {paused ? "▶ Resume" : "❚❚ Pause"}
      </button>
      {lastUpdatedAt ? (
        <span className="muted" aria-live="polite">
          updated {formatTime(lastUpdatedAt, "HH:mm:ss")}
        </span>
      ) : null}
    </fieldset>
  );
}
