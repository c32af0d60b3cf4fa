"use client";

import type { FormEvent } from "react";
import { Field, FormFooter, type FormErrors } from "./Field";

export type TargetAuthKind = "none" | "bearer" | "basic";

export interface TargetFormValues {
  name: string;
  url: string;
  /** Durations such as "15s". */
  interval: string;
  timeout: string;
  authKind: TargetAuthKind;
  /** Basic auth user. */
  username: string;
  /** Bearer token or basic-auth password; empty when editing keeps the stored one. */
  secret: string;
  /** Base URL of the target's net/http/pprof handlers; empty = no goroutine collection. */
  pprofUrl: string;
}

export function emptyTargetFormValues(): TargetFormValues {
  return { name: "", url: "", interval: "15s", timeout: "10s", authKind: "none", username: "", secret: "", pprofUrl: "" };
}

export interface TargetFormProps {
  values: TargetFormValues;
  onChange: (values: TargetFormValues) => void;
  onSubmit: (values: TargetFormValues) => void;
  mode: "create" | "edit";
  /** Edit mode: a credential is stored (it is never sent to the browser). */
  hasStoredSecret?: boolean;
  /** By field: name, url, interval, timeout, authKind, username, secret, pprofUrl; `form`. */
  errors?: FormErrors;
  submitting?: boolean;
  onCancel?: () => void;
}

/** A controlled scrape-target form: name, /metrics URL, interval, timeout, optional bearer or basic auth and an optional pprof URL. */
export function TargetForm({ values, onChange, onSubmit, mode, hasStoredSecret = false, errors = {}, submitting = false, onCancel }: TargetFormProps) {
  const set = <K extends keyof TargetFormValues>(key: K, value: TargetFormValues[K]) => onChange({ ...values, [key]: value });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSubmit(values);
  };
  const keep = mode === "edit" && hasStoredSecret ? "•••••• (unchanged)" : "";
  return (
    <form className="form target-form" onSubmit={submit} noValidate aria-label="Scrape target" data-testid="target-form">
      <div className="form-grid">
        <Field label="Name" name="name" error={errors.name}>
          {(p) => <input {...p} name="name" value={values.name} onChange={(e) => set("name", e.target.value)} autoComplete="off" />}
        </Field>
        <Field label="Metrics URL" name="url" error={errors.url} hint="e.g. http://my-operator.svc:8080/metrics">
          {(p) => <input {...p} name="url" type="url" value={values.url} onChange={(e) => set("url", e.target.value)} autoComplete="off" spellCheck={false} />}
        </Field>
        <Field label="Interval" name="interval" error={errors.interval}>
          {(p) => <input {...p} name="interval" value={values.interval} onChange={(e) => set("interval", e.target.value)} spellCheck={false} />}
        </Field>
        <Field label="Timeout" name="timeout" error={errors.timeout}>
          {(p) => <input {...p} name="timeout" value={values.timeout} onChange={(e) => set("timeout", e.target.value)} spellCheck={false} />}
        </Field>
        <Field label="Authentication" name="authKind" error={errors.authKind}>
          {(p) => (
            <select {...p} name="authKind" value={values.authKind} onChange={(e) => set("authKind", e.target.value as TargetAuthKind)}>
              <option value="none">None</option>
              <option value="bearer">Bearer token</option>
              <option value="basic">Basic auth</option>
            </select>
          )}
        </Field>
        {values.authKind === "basic" ? (
          <Field label="Username" name="username" error={errors.username}>
            {(p) => <input {...p} name="username" value={values.username} onChange={(e) => set("username", e.target.value)} autoComplete="off" />}
          </Field>
        ) : null}
        {values.authKind !== "none" ? (
          <Field label={values.authKind === "bearer" ? "Token" : "Password"} name="secret" error={errors.secret}>
            {(p) => <input {...p} name="secret" type="password" value={values.secret} onChange={(e) => set("secret", e.target.value)} autoComplete="off" placeholder={keep} />}
          </Field>
        ) : null}
        <Field label="pprof URL (optional)" name="pprofUrl" error={errors.pprofUrl} hint="Go's net/http/pprof base, e.g. controller-runtime's PprofBindAddress: http://my-operator.svc:8082/debug/pprof/">
          {(p) => <input {...p} name="pprofUrl" type="url" value={values.pprofUrl} onChange={(e) => set("pprofUrl", e.target.value)} autoComplete="off" spellCheck={false} />}
        </Field>
      </div>
      <FormFooter error={errors.form} submitting={submitting} submitLabel={mode === "edit" ? "Save target" : "Add target"} onCancel={onCancel} />
    </form>
  );
}
