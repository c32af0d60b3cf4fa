/**
 * Server validation errors → a form's error keys. The tRPC error formatter lists problems as
 * "field: message" in `data.issues`; domain errors carry the same shape in their message
 * ("name: a rule named … already exists"). Pure (no React, no network).
 */

export type FieldErrors = Record<string, string>;

/** The parts of a tRPC client error the forms read. */
export interface ServerErrorLike {
  message: string;
  data?: { issues?: readonly string[] | null } | null;
}

/** Maps a server field path (e.g. `spec.query.metric`) to a form key, or undefined for the form-level message. */
export type FieldMapper = (path: string) => string | undefined;

/** `"a.b: why"` → `["a.b", "why"]`; undefined when the line does not name a field. */
export function splitIssue(line: string): [string, string] | undefined {
  const match = /^([A-Za-z_$][\w$]*(?:\.[\w$]+)*): (.+)$/s.exec(line.trim());
  return match ? [match[1], match[2]] : undefined;
}

/**
 * Errors by form key: every issue the mapper places goes under its key (the first per key wins),
 * the rest (and errors that name no field) are joined into `form`.
 */
export function formErrorsFrom(error: ServerErrorLike, mapField: FieldMapper): FieldErrors {
  // Domain errors whose ZodError cause tRPC did not keep (zod 4's ZodError is not an Error) still
  // list their issues in the message: "The rule is invalid: a.b: why; c: why".
  const issues = error.data?.issues?.length ? [...error.data.issues] : error.message.replace(/^(The [\w ]+ is invalid|Invalid input): /, "").split(/; (?=[A-Za-z_$][\w$.]*: )/);
  const out: FieldErrors = {};
  const unplaced: string[] = [];
  for (const line of issues) {
    const split = splitIssue(line);
    const path = split?.[0].replace(/^patch\./, "");
    const key = path === undefined ? undefined : mapField(path);
    if (split && key) {
      out[key] ??= split[1];
    } else {
      unplaced.push(line);
    }
  }
  if (unplaced.length > 0) out.form = issues.length === unplaced.length && !error.data?.issues?.length ? error.message : unplaced.join("; ");
  return out;
}

/** Form keys whose editors read per-row errors (`matchers.0.value`, `labels.severity`). */
const ROW_EDITORS = ["matchers", "labels", "annotations"];

/**
 * A mapper for forms whose keys are the server's field names, with optional renames matched on
 * leading segments (`{"spec.query.q": "quantile"}`). Row editors keep the rest of the path; other
 * fields collapse to their key (`groupBy.2` → `groupBy`).
 */
export function fieldMapper(known: readonly string[], renames: Readonly<Record<string, string>> = {}): FieldMapper {
  return (path) => {
    let renamed = path;
    for (const [from, to] of Object.entries(renames)) {
      if (path === from || path.startsWith(`${from}.`)) {
        renamed = to + path.slice(from.length);
        break;
      }
    }
    const head = renamed.split(".")[0];
    if (!known.includes(head)) return undefined;
    return ROW_EDITORS.includes(head) ? renamed : head;
  };
}

/**
 * The errors still standing after an edit: an error is dropped once its field (or, for row
 * editors, the row list `matchers.0.value` belongs to) changed; the form-level one with any change.
 */
export function withoutFixed<T extends object>(errors: FieldErrors, before: T, after: T): FieldErrors {
  const b = before as Record<string, unknown>;
  const a = after as Record<string, unknown>;
  const changed = Object.keys(a).filter((k) => JSON.stringify(b[k]) !== JSON.stringify(a[k]));
  if (changed.length === 0) return errors;
  const out: FieldErrors = {};
  for (const [key, message] of Object.entries(errors)) {
    if (key === "form" || changed.includes(key.split(".")[0])) continue;
    out[key] = message;
  }
  return out;
}
