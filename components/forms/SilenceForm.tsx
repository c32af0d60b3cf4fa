"use client";

import type { FormEvent } from "react";
import { fromDateTimeLocal, toDateTimeLocal } from "../format/time";
import { Field, FormFooter, type FormErrors } from "./Field";
import { type Matcher, matchersFromLabels } from "./matchers";
import { MatchersEditor } from "./MatchersEditor";

export interface SilenceFormValues {
  matchers: Matcher[];
  /** `<input type="datetime-local">` values (local time). */
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
}

/** Values for a new silence starting now; pass an alert's labels to silence exactly that alert. */
export function newSilenceValues(now: number, labels: Record<string, string> = {}, durationMs = 2 * 3_600_000): SilenceFormValues {
  return { matchers: matchersFromLabels(labels), startsAt: toDateTimeLocal(now), endsAt: toDateTimeLocal(now + durationMs), createdBy: "", comment: "" };
}

const QUICK_DURATIONS = [
  { label: "1h", ms: 3_600_000 },
  { label: "2h", ms: 7_200_000 },
  { label: "4h", ms: 14_400_000 },
  { label: "1d", ms: 86_400_000 },
  { label: "1w", ms: 604_800_000 },
];

export interface SilenceFormProps {
  values: SilenceFormValues;
  onChange: (values: SilenceFormValues) => void;
  onSubmit: (values: SilenceFormValues) => void;
  /** By field: matchers (or matchers.<i>), startsAt, endsAt, createdBy, comment; `form` for the whole form. */
  errors?: FormErrors;
  submitting?: boolean;
  onCancel?: () => void;
  /** Number of current alerts the matchers select, when the page can tell. */
  matchingAlerts?: number;
}

/** A controlled Alertmanager-style silence form: matchers, start/end (with quick durations), author, comment. */
export function SilenceForm({ values, onChange, onSubmit, errors = {}, submitting = false, onCancel, matchingAlerts }: SilenceFormProps) {
  const set = <K extends keyof SilenceFormValues>(key: K, value: SilenceFormValues[K]) => onChange({ ...values, [key]: value });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSubmit(values);
  };
  const start = fromDateTimeLocal(values.startsAt);
  return (
    <form className="form silence-form" onSubmit={submit} noValidate aria-label="Silence" data-testid="silence-form">
      <MatchersEditor
        legend="Matchers"
        name="matchers"
        matchers={values.matchers}
        onChange={(m) => set("matchers", m)}
        errors={errors}
        hint={matchingAlerts === undefined ? undefined : `Matches ${matchingAlerts} current alert${matchingAlerts === 1 ? "" : "s"}.`}
      />
      <div className="form-grid">
        <Field label="Starts" name="startsAt" error={errors.startsAt}>
          {(p) => <input {...p} type="datetime-local" name="startsAt" value={values.startsAt} onChange={(e) => set("startsAt", e.target.value)} />}
        </Field>
        <Field label="Ends" name="endsAt" error={errors.endsAt}>
          {(p) => <input {...p} type="datetime-local" name="endsAt" value={values.endsAt} onChange={(e) => set("endsAt", e.target.value)} />}
        </Field>
      </div>
      <fieldset className="quick-durations control-group">
        <legend className="control-label">Duration</legend>
        {QUICK_DURATIONS.map((d) => (
          <button key={d.label} type="button" disabled={start === null} onClick={() => start !== null && set("endsAt", toDateTimeLocal(start + d.ms))} aria-label={`Silence for ${d.label}`}>
            {d.label}
          </button>
        ))}
      </fieldset>
      <div className="form-grid">
        <Field label="Created by" name="createdBy" error={errors.createdBy}>
          {(p) => <input {...p} name="createdBy" value={values.createdBy} onChange={(e) => set("createdBy", e.target.value)} autoComplete="name" />}
        </Field>
      </div>
      <Field label="Comment" name="comment" error={errors.comment}>
        {(p) => <textarea {...p} name="comment" rows={2} value={values.comment} onChange={(e) => set("comment", e.target.value)} />}
      </Field>
      <FormFooter error={errors.form} submitting={submitting} submitLabel="Create silence" submittingLabel="Creating…" onCancel={onCancel} />
    </form>
  );
}
