"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { fromDateTimeLocal } from "../../components/format/time";
import { newSilenceValues, SilenceForm, type SilenceFormValues } from "../../components/forms/SilenceForm";
import { matchesAllLabels } from "./label-match";
import { useTRPC } from "../_trpc/client";
import { type FieldErrors, fieldMapper, formErrorsFrom, withoutFixed } from "./form-errors";

const silenceFieldMapper = fieldMapper(["matchers", "startsAt", "endsAt", "createdBy", "comment"]);

export interface SilenceEditorProps {
  /** The alert's labels to pre-fill (exact matchers); empty for a blank silence. */
  labels?: Record<string, string>;
  /** Label sets of the current alerts, to say how many the matchers select. */
  currentAlerts?: readonly Record<string, string>[];
  onDone: () => void;
}

/** Times from the form's local date-time inputs, or the field that is not a time. */
function silenceInput(values: SilenceFormValues): { input: { matchers: SilenceFormValues["matchers"]; startsAt: number; endsAt: number; createdBy: string; comment: string } } | { errors: FieldErrors } {
  const startsAt = fromDateTimeLocal(values.startsAt);
  const endsAt = fromDateTimeLocal(values.endsAt);
  const errors: FieldErrors = {};
  if (startsAt === null) errors.startsAt = "must be a date and time";
  if (endsAt === null) errors.endsAt = "must be a date and time";
  values.matchers.forEach((m, i) => {
    if (m.op !== "=~" && m.op !== "!~") return;
    try {
      new RegExp(`^(?:${m.value})$`);
    } catch (error) {
      errors[`matchers.${i}.value`] = `is not a valid regular expression (${error instanceof Error ? error.message : String(error)})`;
    }
  });
  if (startsAt === null || endsAt === null || Object.keys(errors).length > 0) return { errors };
  return { input: { matchers: values.matchers, startsAt, endsAt, createdBy: values.createdBy, comment: values.comment } };
}

/** A SilenceForm wired to alerts.silences.create, with the server's validation messages inline. */
export function SilenceEditor({ labels = {}, currentAlerts, onDone }: SilenceEditorProps) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [values, setValues] = useState(() => newSilenceValues(Date.now(), labels));
  const [errors, setErrors] = useState<FieldErrors>({});
  const create = useMutation(
    trpc.alerts.silences.create.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.alerts.pathKey() });
        onDone();
      },
      onError: (error) => setErrors(formErrorsFrom(error, silenceFieldMapper)),
    }),
  );
  const complete = values.matchers.filter((m) => m.name.trim() !== "");
  const matching = currentAlerts ? currentAlerts.filter((l) => matchesAllLabels(complete, l)).length : undefined;
  return (
    <div className="panel" data-testid="silence-editor">
      <h2>New silence</h2>
      <SilenceForm
        values={values}
        onChange={(next) => {
          setErrors((current) => withoutFixed(current, values, next));
          setValues(next);
        }}
        errors={errors}
        submitting={create.isPending}
        matchingAlerts={complete.length > 0 ? matching : undefined}
        onCancel={onDone}
        onSubmit={(v) => {
          const result = silenceInput(v);
          if ("errors" in result) {
            setErrors(result.errors);
            return;
          }
          setErrors({});
          create.mutate(result.input);
        }}
      />
    </div>
  );
}
