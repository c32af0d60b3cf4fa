"use client";

import { type FormEvent, useId } from "react";
import { Field, FormFooter, type FormErrors } from "./Field";
import { KeyValueEditor } from "./KeyValueEditor";
import { MatchersEditor } from "./MatchersEditor";
import { COMPARATORS, RULE_AGGREGATIONS, RULE_FUNCTIONS, type RuleFormValues, ruleExpression } from "./rule-values";

export interface RuleFormProps {
  values: RuleFormValues;
  onChange: (values: RuleFormValues) => void;
  onSubmit: (values: RuleFormValues) => void;
  /**
   * Validation messages by field: name, metric, matchers (or matchers.<i>), fn, quantile, aggregation,
   * by, comparator, value, for, keepFiringFor, labels, annotations; `form` for a message about the whole form.
   */
  errors?: FormErrors;
  submitting?: boolean;
  submitLabel?: string;
  onCancel?: () => void;
  /** Known metric names, offered as suggestions. */
  metricOptions?: readonly string[];
}

/** A controlled form for a threshold rule. Shows the expression it describes and the errors it is given. */
export function RuleForm({ values, onChange, onSubmit, errors = {}, submitting = false, submitLabel = "Save rule", onCancel, metricOptions = [] }: RuleFormProps) {
  const set = <K extends keyof RuleFormValues>(key: K, value: RuleFormValues[K]) => onChange({ ...values, [key]: value });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSubmit(values);
  };
  const datalistId = `${useId()}-metrics`;
  return (
    <form className="form rule-form" onSubmit={submit} noValidate aria-label="Threshold rule" data-testid="rule-form">
      <div className="form-grid">
        <Field label="Name" name="name" error={errors.name}>
          {(p) => <input {...p} name="name" value={values.name} onChange={(e) => set("name", e.target.value)} required autoComplete="off" />}
        </Field>
        <Field label="Metric" name="metric" error={errors.metric} hint="e.g. workqueue_depth">
          {(p) => (
            <>
              <input {...p} name="metric" list={datalistId} value={values.metric} onChange={(e) => set("metric", e.target.value)} required autoComplete="off" spellCheck={false} />
              <datalist id={datalistId}>
                {metricOptions.map((m) => (
                  <option key={m} value={m} />
                ))}
              </datalist>
            </>
          )}
        </Field>
      </div>
      <MatchersEditor legend="Label matchers" name="matchers" matchers={values.matchers} onChange={(m) => set("matchers", m)} errors={errors} />
      <div className="form-grid">
        <Field label="Function" name="fn" error={errors.fn}>
          {(p) => (
            <select {...p} name="fn" value={values.fn} onChange={(e) => set("fn", e.target.value as RuleFormValues["fn"])}>
              {RULE_FUNCTIONS.map((f) => (
                <option key={f} value={f}>
                  {f === "raw" ? "raw value" : f}
                </option>
              ))}
            </select>
          )}
        </Field>
        {values.fn === "histogram_quantile" ? (
          <Field label="Quantile" name="quantile" error={errors.quantile} hint="0–1, e.g. 0.99">
            {(p) => <input {...p} name="quantile" inputMode="decimal" value={values.quantile} onChange={(e) => set("quantile", e.target.value)} />}
          </Field>
        ) : null}
        <Field label="Aggregation" name="aggregation" error={errors.aggregation}>
          {(p) => (
            <select {...p} name="aggregation" value={values.aggregation} onChange={(e) => set("aggregation", e.target.value as RuleFormValues["aggregation"])}>
              {RULE_AGGREGATIONS.map((a) => (
                <option key={a} value={a}>
                  {a}
                </option>
              ))}
            </select>
          )}
        </Field>
        {values.aggregation !== "none" ? (
          <Field label="By labels" name="by" error={errors.by} hint="comma-separated, e.g. controller">
            {(p) => <input {...p} name="by" value={values.by} onChange={(e) => set("by", e.target.value)} spellCheck={false} />}
          </Field>
        ) : null}
      </div>
      <div className="form-grid">
        <Field label="Comparator" name="comparator" error={errors.comparator}>
          {(p) => (
            <select {...p} name="comparator" value={values.comparator} onChange={(e) => set("comparator", e.target.value as RuleFormValues["comparator"])}>
              {COMPARATORS.map((c) => (
                <option key={c} value={c}>
                  {c}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Threshold" name="value" error={errors.value}>
          {(p) => <input {...p} name="value" inputMode="decimal" value={values.value} onChange={(e) => set("value", e.target.value)} required />}
        </Field>
        <Field label="For" name="for" error={errors.for} hint="pending before firing, e.g. 5m">
          {(p) => <input {...p} name="for" value={values.for} onChange={(e) => set("for", e.target.value)} spellCheck={false} />}
        </Field>
        <Field label="Keep firing for" name="keepFiringFor" error={errors.keepFiringFor} hint="e.g. 0s, 10m">
          {(p) => <input {...p} name="keepFiringFor" value={values.keepFiringFor} onChange={(e) => set("keepFiringFor", e.target.value)} spellCheck={false} />}
        </Field>
      </div>
      <p className="expression-preview">
        <span className="muted">Fires when </span>
        <code data-testid="rule-expression">{ruleExpression(values)}</code>
        <span className="muted"> for {values.for || "0s"}</span>
      </p>
      <KeyValueEditor legend="Labels" name="labels" pairs={values.labels} onChange={(l) => set("labels", l)} errors={errors} />
      <KeyValueEditor
        legend="Annotations"
        name="annotations"
        pairs={values.annotations}
        onChange={(a) => set("annotations", a)}
        errors={errors}
        multiline
        hint="Templating: {{ $labels.controller }}, {{ $value }}"
      />
      <FormFooter error={errors.form} submitting={submitting} submitLabel={submitLabel} onCancel={onCancel} />
    </form>
  );
}
