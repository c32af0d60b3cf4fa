"use client";

import { useId } from "react";
import type { FormErrors } from "./Field";
import type { KeyValue } from "./key-values";

export interface KeyValueEditorProps {
  legend: string;
  pairs: readonly KeyValue[];
  onChange: (pairs: KeyValue[]) => void;
  name: string;
  errors?: FormErrors;
  hint?: string;
  /** Use a textarea for values (annotations). */
  multiline?: boolean;
}

/** Editable key/value rows (labels, annotations). */
export function KeyValueEditor({ legend, pairs, onChange, name, errors = {}, hint, multiline = false }: KeyValueEditorProps) {
  const id = useId();
  const update = (index: number, patch: Partial<KeyValue>) => onChange(pairs.map((p, i) => (i === index ? { ...p, ...patch } : p)));
  return (
    <fieldset className="rows-editor" data-field={name}>
      <legend>{legend}</legend>
      {hint ? <small className="field-hint">{hint}</small> : null}
      {pairs.map((p, i) => {
        const rowError = errors[`${name}.${i}`] ?? errors[`${name}.${p.key}`];
        return (
          // biome-ignore lint/suspicious/noArrayIndexKey: rows have no identity besides their position while being edited.
          <div className="rows-editor-row" key={i}>
            <label htmlFor={`${id}-${i}-key`} className="visually-hidden">
              {legend} key {i + 1}
            </label>
            <input id={`${id}-${i}-key`} value={p.key} placeholder="key" onChange={(e) => update(i, { key: e.target.value })} aria-invalid={Boolean(rowError)} />
            <label htmlFor={`${id}-${i}-value`} className="visually-hidden">
              {legend} value {i + 1}
            </label>
            {multiline ? (
              <textarea id={`${id}-${i}-value`} value={p.value} rows={2} placeholder="value" onChange={(e) => update(i, { value: e.target.value })} />
            ) : (
              <input id={`${id}-${i}-value`} value={p.value} placeholder="value" onChange={(e) => update(i, { value: e.target.value })} />
            )}
            <button type="button" onClick={() => onChange(pairs.filter((_, j) => j !== i))} aria-label={`Remove ${legend.toLowerCase()} ${i + 1}`}>
              ✕
            </button>
            {rowError ? <small className="field-error">{rowError}</small> : null}
          </div>
        );
      })}
      <button type="button" onClick={() => onChange([...pairs, { key: "", value: "" }])}>
        + Add {legend.toLowerCase().replace(/s$/, "")}
      </button>
      {errors[name] ? (
        <small className="field-error" data-testid={`error-${name}`}>
          {errors[name]}
        </small>
      ) : null}
    </fieldset>
  );
}
