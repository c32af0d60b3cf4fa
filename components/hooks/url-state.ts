/** Reading and writing view state in a query string. Pure; used by useUrlState. */

/** The state for `defaults`' keys: each parameter's value, or the default when absent. */
export function readUrlState<T extends Record<string, string>>(params: URLSearchParams, defaults: T): T {
  const out: Record<string, string> = {};
  for (const [key, fallback] of Object.entries(defaults)) out[key] = params.get(key) ?? fallback;
  return out as T;
}

/**
 * The query string after applying `patch` to `current`: a null value, or the key's default,
 * removes the parameter (so links stay short); parameters not in the patch are kept as they are.
 */
export function writeUrlState(current: string, patch: Record<string, string | null | undefined>, defaults: Record<string, string>): string {
  const params = new URLSearchParams(current);
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (value === null || value === defaults[key]) params.delete(key);
    else params.set(key, value);
  }
  params.sort();
  return params.toString();
}
