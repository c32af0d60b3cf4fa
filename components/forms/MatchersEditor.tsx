"use client";

import { useId } from "react";
import type { FormErrors } from "./Field";
import { MATCH_OPS, type Matcher, type MatchOp } from "./matchers";

export interface MatchersEditorProps {
  legend: string;
  matchers: readonly Matcher[];
  onChange: (matchers: Matcher[]) => void;
  /** Errors keyed `<name>` (whole list) or `<name>.<index>` (one row). */
  errors?: FormErrors;
  name: string;
  hint?: string;
}

/** Editable rows of label matchers (name, operator, value). */
export function MatchersEditor({ legend, matchers, onChange, errors = {}, name, hint }: MatchersEditorProps) {
  const id = useId();
  const update = (index: number, patch: Partial<Matcher>) => onChange(matchers.map((m, i) => (i === index ? { ...m, ...patch } : m)));
  return (
    <fieldset className="rows-editor" data-field={name}>
      <legend>{legend}</legend>
      {hint ? <small className="field-hint">{hint}</small> : null}
      {matchers.map((m, i) => {
        const rowError = errors[`${name}.${i}`] ?? errors[`${name}.${i}.name`] ?? errors[`${name}.${i}.value`];
        return (
          // biome-ignore lint/suspicious/noArrayIndexKey: rows have no identity besides their position while being edited.
          <div className="rows-editor-row" key={i}>
            <label htmlFor={`${id}-${i}-name`} className="visually-hidden">
              Label name {i + 1}
            </label>
            <input id={`${id}-${i}-name`} value={m.name} placeholder="label" onChange={(e) => update(i, { name: e.target.value })} aria-invalid={Boolean(rowError)} />
            <label htmlFor={`${id}-${i}-op`} className="visually-hidden">
              Operator {i + 1}
            </label>
            <select id={`${id}-${i}-op`} value={m.op} onChange={(e) => update(i, { op: e.target.value as MatchOp })}>
              {MATCH_OPS.map((op) => (
                <option key={op} value={op}>
                  {op}
                </option>
              ))}
            </select>
            <label htmlFor={`${id}-${i}-value`} className="visually-hidden">
              Value {i + 1}
            </label>
            <input id={`${id}-${i}-value`} value={m.value} placeholder="value" onChange={(e) => update(i, { value: e.target.value })} aria-invalid={Boolean(rowError)} />
            <button type="button" onClick={() => onChange(matchers.filter((_, j) => j !== i))} aria-label={`Remove matcher ${i + 1}`}>
              ✕
            </button>
            {rowError ? <small className="field-error">{rowError}</small> : null}
          </div>
        );
      })}
      <button type="button" onClick={() => onChange([...matchers, { name: "", op: "=", value: "" }])}>
        + Add matcher
      </button>
      {errors[name] ? (
        <small className="field-error" data-testid={`error-${name}`}>
          {errors[name]}
        </small>
      ) : null}
    </fieldset>
  );
}
