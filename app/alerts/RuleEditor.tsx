"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Field } from "../../components/forms/Field";
import { RuleForm } from "../../components/forms/RuleForm";
import { useTRPC } from "../_trpc/client";
import type { RuleItem } from "./api-types";
import { type FieldErrors, formErrorsFrom, withoutFixed } from "./form-errors";
import { type PreviewRequest, RulePreviewChart } from "./RulePreviewChart";
import { emptyRuleDraft, type RuleDraft, ruleDraftFrom, ruleFieldMapper, ruleInputFrom } from "./rule-mapping";

export interface RuleEditorProps {
  /** The stored rule when editing; undefined for a new rule. */
  rule?: RuleItem;
  onDone: () => void;
}

/**
 * Create or edit a threshold rule: RuleForm plus the evaluation interval, saved through
 * alerts.rules.create / update with the server's validation messages under their fields, and a
 * 24 h preview (of the stored rule, or of the draft on request).
 */
export function RuleEditor({ rule, onDone }: RuleEditorProps) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const initial = rule ? ruleDraftFrom(rule) : emptyRuleDraft();
  const [draft, setDraft] = useState<RuleDraft>(() => ("values" in initial ? initial : emptyRuleDraft()));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [preview, setPreview] = useState<{ request: PreviewRequest; rule: Record<string, unknown> } | null>(() => {
    if (!rule) return null;
    const input = ruleInputFrom(draft, rule);
    return { request: { id: rule.id }, rule: "input" in input ? input.input : {} };
  });
  const [previewKey, setPreviewKey] = useState(0);
  const metrics = useQuery({ ...trpc.query.metrics.queryOptions({ limit: 2_000 }), staleTime: 60_000 });

  const onSaved = async () => {
    await queryClient.invalidateQueries({ queryKey: trpc.alerts.pathKey() });
    onDone();
  };
  const onError = (error: { message: string; data?: { issues?: readonly string[] | null } | null }) => setErrors(formErrorsFrom(error, ruleFieldMapper));
  const create = useMutation(trpc.alerts.rules.create.mutationOptions({ onSuccess: onSaved, onError }));
  const update = useMutation(trpc.alerts.rules.update.mutationOptions({ onSuccess: onSaved, onError }));

  if ("unsupported" in initial) {
    return (
      <div className="panel" role="status">
        <p>{initial.unsupported}</p>
        <button type="button" onClick={onDone}>
          Close
        </button>
      </div>
    );
  }

  /** The browser's own errors plus the server's on everything else, so all show at once. */
  const showAllErrors = async (local: FieldErrors, rest: Record<string, unknown>) => {
    setErrors(local);
    const checked = await queryClient.fetchQuery(trpc.alerts.rules.validate.queryOptions(rest)).catch(() => null);
    if (!checked || checked.ok) return;
    setErrors({ ...formErrorsFrom({ message: "", data: { issues: checked.issues } }, ruleFieldMapper), ...local });
  };

  const submit = (next: RuleDraft) => {
    const result = ruleInputFrom(next, rule);
    if ("errors" in result) {
      void showAllErrors(result.errors, result.rest);
      return;
    }
    setErrors({});
    if (rule) update.mutate({ id: rule.id, patch: result.input });
    else create.mutate(result.input);
  };

  const previewDraft = () => {
    const result = ruleInputFrom(draft, rule);
    if ("errors" in result) {
      void showAllErrors(result.errors, result.rest);
      return;
    }
    setPreview({ request: { rule: result.input }, rule: result.input });
    setPreviewKey((k) => k + 1);
  };

  return (
    <>
      <div className="panel" data-testid="rule-editor">
        <h2>{rule ? `Edit rule ${rule.name}` : "New threshold rule"}</h2>
        <div className="form-grid" style={{ maxWidth: "56rem", marginBottom: "0.8rem" }}>
          <Field label="Evaluate every" name="interval" error={errors.interval} hint="at least 1s, e.g. 15s">
            {(p) => (
              <input
                {...p}
                name="interval"
                value={draft.interval}
                onChange={(e) => {
                  setErrors(({ interval: _fixed, ...rest }) => rest);
                  setDraft({ ...draft, interval: e.target.value });
                }}
                spellCheck={false}
              />
            )}
          </Field>
        </div>
        <RuleForm
          values={draft.values}
          onChange={(values) => {
            setErrors((current) => withoutFixed(current, draft.values, values));
            setDraft({ ...draft, values });
          }}
          onSubmit={(values) => submit({ ...draft, values })}
          errors={errors}
          submitting={create.isPending || update.isPending}
          submitLabel={rule ? "Save rule" : "Create rule"}
          onCancel={onDone}
          metricOptions={metrics.data?.map((m) => m.metric)}
        />
        <div className="form-actions" style={{ marginTop: "0.6rem" }}>
          <button type="button" onClick={previewDraft}>
            Preview last 24 h
          </button>
        </div>
      </div>
      {preview ? <RulePreviewChart key={previewKey} request={preview.request} rule={preview.rule} /> : null}
    </>
  );
}
