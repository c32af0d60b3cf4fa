/** Serializes one Set-Cookie value. Values here are base64url, so no encoding is needed. */
export function serializeCookie(
  name: string,
  value: string,
  options: { maxAgeSeconds: number; httpOnly: boolean; sameSite: "Strict" | "Lax"; secure: boolean; path?: string },
): string {
  const parts = [`${name}=${value}`, `Path=${options.path ?? "/"}`, `Max-Age=${Math.max(0, Math.floor(options.maxAgeSeconds))}`, `SameSite=${options.sameSite}`];
  if (options.httpOnly) parts.push("HttpOnly");
  if (options.secure) parts.push("Secure");
  return parts.join("; ");
}
