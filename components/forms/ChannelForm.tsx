"use client";

import { type FormEvent, useState } from "react";
import { Field, FormFooter, type FormErrors } from "./Field";
import type { Matcher } from "./matchers";
import { MatchersEditor } from "./MatchersEditor";

export const CHANNEL_KINDS = ["slack", "discord", "msteams", "googlechat", "webhook", "alertmanager"] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

const KIND_LABEL: Record<ChannelKind, string> = {
  slack: "Slack",
  discord: "Discord",
  msteams: "Microsoft Teams",
  googlechat: "Google Chat",
  webhook: "Generic webhook (Alertmanager JSON)",
  alertmanager: "Alertmanager (v2 API)",
};

const URL_HINT: Record<ChannelKind, string> = {
  slack: "https://hooks.slack.com/services/…",
  discord: "https://discord.com/api/webhooks/…",
  msteams: "Workflows webhook URL (https://…)",
  googlechat: "https://chat.googleapis.com/v1/spaces/…/messages?key=…",
  webhook: "https://your-receiver.example/alerts",
  alertmanager: "https://alertmanager.example:9093",
};

export interface ChannelFormValues {
  name: string;
  kind: ChannelKind;
  /** A newly typed URL. Empty when editing means "keep the stored URL". */
  url: string;
  /** Optional HMAC signing secret (generic webhook); empty keeps the stored one. */
  secret: string;
  matchers: Matcher[];
  /** Comma-separated labels, e.g. "alertname, controller". */
  groupBy: string;
  groupWait: string;
  groupInterval: string;
  repeatInterval: string;
  sendResolved: boolean;
  enabled: boolean;
}

/** Alertmanager's defaults: group_by alertname, 30s / 5m / 4h. */
export function emptyChannelFormValues(): ChannelFormValues {
  return {
    name: "",
    kind: "slack",
    url: "",
    secret: "",
    matchers: [],
    groupBy: "alertname",
    groupWait: "30s",
    groupInterval: "5m",
    repeatInterval: "4h",
    sendResolved: true,
    enabled: true,
  };
}

export interface ChannelFormProps {
  values: ChannelFormValues;
  onChange: (values: ChannelFormValues) => void;
  onSubmit: (values: ChannelFormValues) => void;
  mode: "create" | "edit";
  /** The stored URL in masked form (edit mode). The real URL is never given to this component. */
  maskedUrl?: string | null;
  hasStoredSecret?: boolean;
  /** By field: name, kind, url, secret, matchers, groupBy, groupWait, groupInterval, repeatInterval; `form`. */
  errors?: FormErrors;
  submitting?: boolean;
  onCancel?: () => void;
}

/** A controlled notification channel form. The URL field is write-only: typed text is hidden, the stored URL only appears masked. */
export function ChannelForm({ values, onChange, onSubmit, mode, maskedUrl, hasStoredSecret = false, errors = {}, submitting = false, onCancel }: ChannelFormProps) {
  const [reveal, setReveal] = useState(false);
  const set = <K extends keyof ChannelFormValues>(key: K, value: ChannelFormValues[K]) => onChange({ ...values, [key]: value });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSubmit(values);
  };
  return (
    <form className="form channel-form" onSubmit={submit} noValidate aria-label="Notification channel" data-testid="channel-form">
      <div className="form-grid">
        <Field label="Name" name="name" error={errors.name}>
          {(p) => <input {...p} name="name" value={values.name} onChange={(e) => set("name", e.target.value)} autoComplete="off" />}
        </Field>
        <Field label="Kind" name="kind" error={errors.kind}>
          {(p) => (
            <select {...p} name="kind" value={values.kind} onChange={(e) => set("kind", e.target.value as ChannelKind)}>
              {CHANNEL_KINDS.map((k) => (
                <option key={k} value={k}>
                  {KIND_LABEL[k]}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <Field
        label={mode === "edit" ? "New webhook URL" : "Webhook URL"}
        name="url"
        error={errors.url}
        hint={
          mode === "edit" && maskedUrl ? (
            <>
              Current: <code data-testid="masked-url">{maskedUrl}</code>. Leave empty to keep it.
            </>
          ) : (
            URL_HINT[values.kind]
          )
        }
      >
        {(p) => (
          <span className="input-with-button">
            <input
              {...p}
              name="url"
              type={reveal ? "text" : "password"}
              value={values.url}
              onChange={(e) => set("url", e.target.value)}
              autoComplete="off"
              spellCheck={false}
              placeholder={mode === "edit" ? "unchanged" : URL_HINT[values.kind]}
            />
            <button type="button" onClick={() => setReveal((r) => !r)} aria-pressed={reveal} aria-label={reveal ? "Hide URL" : "Show URL"}>
              {reveal ? "Hide" : "Show"}
            </button>
          </span>
        )}
      </Field>
      {values.kind === "webhook" ? (
        <Field label="Signing secret (optional)" name="secret" error={errors.secret} hint="HMAC-SHA256 of the body is sent in a header.">
          {(p) => (
            <input
              {...p}
              name="secret"
              type="password"
              value={values.secret}
              onChange={(e) => set("secret", e.target.value)}
              autoComplete="off"
              placeholder={hasStoredSecret ? "•••••• (unchanged)" : ""}
            />
          )}
        </Field>
      ) : null}
      <MatchersEditor legend="Route: only alerts matching" name="matchers" matchers={values.matchers} onChange={(m) => set("matchers", m)} errors={errors} hint="No matchers: every alert." />
      <div className="form-grid">
        <Field label="Group by" name="groupBy" error={errors.groupBy} hint="comma-separated labels">
          {(p) => <input {...p} name="groupBy" value={values.groupBy} onChange={(e) => set("groupBy", e.target.value)} spellCheck={false} />}
        </Field>
        <Field label="Group wait" name="groupWait" error={errors.groupWait}>
          {(p) => <input {...p} name="groupWait" value={values.groupWait} onChange={(e) => set("groupWait", e.target.value)} spellCheck={false} />}
        </Field>
        <Field label="Group interval" name="groupInterval" error={errors.groupInterval}>
          {(p) => <input {...p} name="groupInterval" value={values.groupInterval} onChange={(e) => set("groupInterval", e.target.value)} spellCheck={false} />}
        </Field>
        <Field label="Repeat interval" name="repeatInterval" error={errors.repeatInterval}>
          {(p) => <input {...p} name="repeatInterval" value={values.repeatInterval} onChange={(e) => set("repeatInterval", e.target.value)} spellCheck={false} />}
        </Field>
      </div>
      <div className="form-checks">
        <label className="checkbox">
          <input type="checkbox" name="sendResolved" checked={values.sendResolved} onChange={(e) => set("sendResolved", e.target.checked)} />
          Send resolved notifications
        </label>
        <label className="checkbox">
          <input type="checkbox" name="enabled" checked={values.enabled} onChange={(e) => set("enabled", e.target.checked)} />
          Enabled
        </label>
      </div>
      <FormFooter error={errors.form} submitting={submitting} submitLabel={mode === "edit" ? "Save channel" : "Add channel"} onCancel={onCancel} />
    </form>
  );
}
