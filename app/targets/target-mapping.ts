/** The target form ↔ targets.create / targets.update {id, patch}. Pure. */
import { DURATION_HINT, formatDuration, parseDuration } from "../../shared/duration";
import { emptyTargetFormValues, type TargetFormValues } from "../../components/forms/TargetForm";
import type { TargetItem } from "../alerts/api-types";
import { type FieldErrors, fieldMapper } from "../alerts/form-errors";

type Auth = { kind: "none" } | { kind: "bearer"; token: string } | { kind: "basic"; username: string; password: string };

export interface TargetInput {
  name: string;
  url: string;
  intervalMs: number;
  timeoutMs: number;
  auth?: Auth;
  /** null clears a stored pprof URL. */
  pprofUrl: string | null;
}

export function targetValuesFrom(t: TargetItem): TargetFormValues {
  const authKind = t.authKind === "bearer" || t.authKind === "basic" ? t.authKind : "none";
  return {
    ...emptyTargetFormValues(),
    name: t.name,
    url: t.url,
    interval: formatDuration(t.intervalMs),
    timeout: formatDuration(t.timeoutMs),
    authKind,
    username: t.authUser ?? "",
    pprofUrl: t.pprofUrl ?? "",
  };
}

/**
 * The input for the form's values, or the problems the browser can see (durations, missing
 * credentials). When editing (`stored` given), an empty secret with the same auth kind keeps the
 * stored credential (auth is left out of the patch).
 */
export function targetInputFrom(v: TargetFormValues, stored?: TargetItem): { input: TargetInput } | { errors: FieldErrors } {
  const errors: FieldErrors = {};
  const intervalMs = parseDuration(v.interval.trim());
  const timeoutMs = parseDuration(v.timeout.trim());
  if (intervalMs === undefined) errors.interval = `must be ${DURATION_HINT}`;
  if (timeoutMs === undefined) errors.timeout = `must be ${DURATION_HINT}`;
  const keepCredential = stored !== undefined && stored.authKind === v.authKind && v.secret === "" && (v.authKind !== "basic" || v.username === (stored.authUser ?? ""));
  let auth: Auth | undefined;
  if (v.authKind === "none") auth = { kind: "none" };
  else if (!keepCredential) {
    if (v.authKind === "bearer") {
      if (v.secret === "") errors.secret = "is required: the bearer token";
      auth = { kind: "bearer", token: v.secret };
    } else {
      if (v.username.trim() === "") errors.username = "is required";
      if (v.secret === "" && stored?.authKind === "basic") errors.secret = "enter the password again to change the user";
      auth = { kind: "basic", username: v.username.trim(), password: v.secret };
    }
  }
  if (Object.keys(errors).length > 0 || intervalMs === undefined || timeoutMs === undefined) return { errors };
  const pprofUrl = v.pprofUrl.trim();
  return { input: { name: v.name, url: v.url.trim(), intervalMs, timeoutMs, ...(auth ? { auth } : {}), pprofUrl: pprofUrl === "" ? null : pprofUrl } };
}

/** Server issue paths → TargetForm's error keys. */
export const targetFieldMapper = fieldMapper(["name", "url", "interval", "timeout", "authKind", "username", "secret", "pprofUrl"], {
  intervalMs: "interval",
  timeoutMs: "timeout",
  "auth.token": "secret",
  "auth.password": "secret",
  "auth.username": "username",
  "auth.kind": "authKind",
  auth: "authKind",
});
