"use client";

import { type FormEvent, useId, useState } from "react";
import { formatTime, fromDateTimeLocal, toDateTimeLocal } from "../format/time";
import { RANGE_PRESETS, resolveRange, type TimeRangeSelection } from "./time-range";

export interface TimeRangePickerProps {
  value: TimeRangeSelection;
  onChange: (value: TimeRangeSelection) => void;
  /** The current time; used to prefill the custom inputs from a relative range. */
  now: number;
}

/** Preset buttons (15m … 7d) and a custom from/to form. Controlled; every control is labelled and keyboard-reachable. */
export function TimeRangePicker({ value, onChange, now }: TimeRangePickerProps) {
  const id = useId();
  const [open, setOpen] = useState(false);
  const [draft, setDraft] = useState({ from: "", to: "" });
  const [error, setError] = useState<string | null>(null);

  const openCustom = () => {
    if (open) {
      setOpen(false);
      return;
    }
    const current = resolveRange(value, now);
    setDraft({ from: toDateTimeLocal(current.from), to: toDateTimeLocal(current.to) });
    setError(null);
    setOpen(true);
  };

  const apply = (event: FormEvent) => {
    event.preventDefault();
    const from = fromDateTimeLocal(draft.from);
    const to = fromDateTimeLocal(draft.to);
    if (from === null || to === null) {
      setError("Enter both a start and an end time.");
      return;
    }
    if (to <= from) {
      setError("The end must be after the start.");
      return;
    }
    setError(null);
    setOpen(false);
    onChange({ kind: "custom", from, to });
  };

  return (
    <fieldset className="time-range-picker control-group" data-testid="time-range-picker">
      <legend className="control-label">Time range</legend>
      <span className="segmented">
        {RANGE_PRESETS.map((p) => {
          const selected = value.kind === "preset" && value.preset === p.id;
          return (
            <button
              key={p.id}
              type="button"
              aria-pressed={selected}
              aria-label={`Last ${p.label}`}
              onClick={() => {
                setOpen(false);
                onChange({ kind: "preset", preset: p.id });
              }}
            >
              {p.label}
            </button>
          );
        })}
        <button type="button" aria-pressed={value.kind === "custom"} aria-expanded={open} aria-controls={`${id}-custom`} onClick={openCustom}>
          Custom
        </button>
      </span>
      {value.kind === "custom" && !open ? (
        <span className="muted custom-range-text" data-testid="custom-range">
          {formatTime(value.from, "MMM d HH:mm")} → {formatTime(value.to, "MMM d HH:mm")}
        </span>
      ) : null}
      {open ? (
        <form id={`${id}-custom`} className="custom-range" onSubmit={apply} noValidate>
          <label>
            From
            <input
              type="datetime-local"
              value={draft.from}
              onChange={(e) => setDraft((d) => ({ ...d, from: e.target.value }))}
              aria-invalid={error !== null}
              required
            />
          </label>
          <label>
            To
            <input
              type="datetime-local"
              value={draft.to}
              onChange={(e) => setDraft((d) => ({ ...d, to: e.target.value }))}
              aria-invalid={error !== null}
              required
            />
          </label>
          <button type="submit">Apply</button>
          {error ? (
            <span className="field-error" role="alert">
              {error}
            </span>
          ) : null}
        </form>
      ) : null}
    </fieldset>
  );
}
