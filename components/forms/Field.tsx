"use client";

import { type ReactNode, useEffect, useId } from "react";

/** What a Field hands to its input so label, hint and error are wired for assistive tech. */
export interface FieldControlProps {
  id: string;
  "aria-invalid": boolean;
  "aria-describedby": string | undefined;
}

export interface FieldProps {
  label: string;
  error?: string;
  hint?: ReactNode;
  /** Field name, set as data-field for tests and error lookup. */
  name?: string;
  children: (control: FieldControlProps) => ReactNode;
}

/** A labelled form field with an optional hint and an inline validation message. */
export function Field({ label, error, hint, name, children }: FieldProps) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const describedBy = [hintId, errorId].filter(Boolean).join(" ") || undefined;
  return (
    <div className={`field${error ? " field-invalid" : ""}`} data-field={name}>
      <label htmlFor={id}>{label}</label>
      {children({ id, "aria-invalid": Boolean(error), "aria-describedby": describedBy })}
      {hint ? (
        <small id={hintId} className="field-hint">
          {hint}
        </small>
      ) : null}
      {error ? (
        <small id={errorId} className="field-error" data-testid={name ? `error-${name}` : undefined}>
          {error}
        </small>
      ) : null}
    </div>
  );
}

/** A form-level error (e.g. from the server) shown above the buttons. */
export function FormError({ message }: { message?: string }) {
  if (!message) return null;
  return (
    <p className="form-error" role="alert" data-testid="form-error">
      {message}
    </p>
  );
}

export type FormErrors = Readonly<Record<string, string>>;

/** Escape anywhere on the page cancels the open form (when it has a Cancel). */
function useEscapeCancels(onCancel: (() => void) | undefined): void {
  useEffect(() => {
    if (!onCancel) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.key === "Escape" && !event.defaultPrevented) onCancel();
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [onCancel]);
}

/** The foot of every form: its form-level error, the submit button and an optional Cancel (also Escape). */
export function FormFooter({
  error,
  submitting,
  submitLabel,
  submittingLabel = "Saving…",
  onCancel,
}: {
  error?: string;
  submitting?: boolean;
  submitLabel: string;
  submittingLabel?: string;
  onCancel?: () => void;
}) {
  useEscapeCancels(onCancel);
  return (
    <>
      <FormError message={error} />
      <div className="form-actions">
        <button type="submit" className="primary" disabled={submitting}>
          {submitting ? submittingLabel : submitLabel}
        </button>
        {onCancel ? (
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        ) : null}
      </div>
    </>
  );
}
