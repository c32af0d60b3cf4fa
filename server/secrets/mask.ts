/**
 * The display form of a secret URL: scheme and host only, the rest masked, e.g.
 * `https://hooks.slack.com/…/****`. Nothing of the path, query or credentials is kept.
 */
export function maskUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}/…/****`;
  } catch {
    return "****";
  }
}

/** A secret that is not a URL (tokens, HMAC keys): only its length class is shown. */
export function maskSecret(secret: string): string {
  return secret.length === 0 ? "" : "****";
}
