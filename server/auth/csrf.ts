import type { HeaderLookup } from "./headers";
import type { Principal } from "./principal";
import { CSRF_HEADER, csrfToken, sameSecret } from "./session-cookie";

/**
 * CSRF defence for state-changing requests authenticated by something the browser sends on
 * its own (session cookie, proxy cookie, or being on loopback):
 *  1. Fetch metadata / Origin: `Sec-Fetch-Site` must be same-origin or none, and `Origin`,
 *     when present, must be this server's own origin.
 *  2. Session and proxy principals must also send `x-loopscope-csrf` equal to
 *     HMAC(key, subject) — the value of the `loopscope_csrf` cookie (signed double submit).
 * Bearer-token requests carry no ambient credentials and are exempt.
 * Returns the reason a request is refused, or null when it may proceed.
 */
export function csrfProblem(lookup: HeaderLookup, principal: Principal, key: Buffer | undefined, allowedOrigins: readonly string[] = []): string | null {
  if (principal.via === "token") return null;
  const site = lookup("sec-fetch-site");
  if (site !== undefined && site !== "same-origin" && site !== "none") return `cross-site request refused (Sec-Fetch-Site: ${site})`;
  const origin = lookup("origin");
  if (origin !== undefined && !requestOrigins(lookup, allowedOrigins).includes(origin)) return `request from another origin refused (Origin: ${origin})`;
  if (principal.csrfSubject !== undefined) {
    const given = lookup(CSRF_HEADER);
    if (!given || !key || !sameSecret(given, csrfToken(key, principal.csrfSubject))) return `missing or wrong CSRF token (${CSRF_HEADER} header)`;
  }
  return null;
}

/** Origins this request may legitimately come from: its own Host (and forwarded host), plus configured ones. */
export function requestOrigins(lookup: HeaderLookup, allowedOrigins: readonly string[]): string[] {
  const origins = [...allowedOrigins];
  const forwardedProto = lookup("x-forwarded-proto")?.split(",")[0]?.trim();
  for (const host of [lookup("host"), lookup("x-forwarded-host")?.split(",")[0]?.trim()]) {
    if (!host) continue;
    origins.push(`http://${host}`, `https://${host}`);
    if (forwardedProto) origins.push(`${forwardedProto}://${host}`);
  }
  return origins;
}
