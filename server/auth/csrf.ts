import type { HeaderLookup } from "./headers";
import { type HostPolicy, hostAllowed } from "./host-policy";
import type { Principal } from "./principal";
import { CSRF_HEADER, csrfToken, sameSecret } from "./session-cookie";

/**
 * CSRF defence for state-changing requests authenticated by something the browser sends on
 * its own (session cookie, proxy cookie, or being on loopback):
 *  1. Fetch metadata / Origin: `Sec-Fetch-Site` must be same-origin or none, and `Origin`,
 *     when present, must be a configured origin (LOOPSCOPE_PUBLIC_URL) or the request's
 *     `Host` when that Host is an allowed one ({@link HostPolicy}) — never a forwarded host,
 *     which a page could set itself.
 *  2. Session and proxy principals must also send `x-loopscope-csrf` equal to
 *     HMAC(key, subject) — the value of the `loopscope_csrf` cookie (signed double submit).
 * Bearer-token requests carry no ambient credentials and are exempt.
 * Returns the reason a request is refused, or null when it may proceed.
 */
export function csrfProblem(
  lookup: HeaderLookup,
  principal: Principal,
  key: Buffer | undefined,
  allowedOrigins: readonly string[] = [],
  hosts: HostPolicy = LOOPBACK_ONLY,
): string | null {
  if (principal.via === "token") return null;
  const site = lookup("sec-fetch-site");
  if (site !== undefined && site !== "same-origin" && site !== "none") return `cross-site request refused (Sec-Fetch-Site: ${site})`;
  const origin = lookup("origin");
  if (origin !== undefined && !requestOrigins(lookup, allowedOrigins, hosts).includes(origin)) return `request from another origin refused (Origin: ${origin})`;
  if (principal.csrfSubject !== undefined) {
    const given = lookup(CSRF_HEADER);
    if (!given || !key || !sameSecret(given, csrfToken(key, principal.csrfSubject))) return `missing or wrong CSRF token (${CSRF_HEADER} header)`;
  }
  return null;
}

/** No names besides loopback ones and IP literals. */
export const LOOPBACK_ONLY: HostPolicy = Object.freeze({ anyHost: false, names: [], suffixes: [] });

/** Origins this request may legitimately come from: the configured ones, plus its own Host when that is an allowed host. */
export function requestOrigins(lookup: HeaderLookup, allowedOrigins: readonly string[], hosts: HostPolicy = LOOPBACK_ONLY): string[] {
  const origins = [...allowedOrigins];
  const host = lookup("host");
  if (host && hostAllowed(hosts, host)) origins.push(`http://${host.toLowerCase()}`, `https://${host.toLowerCase()}`);
  return origins;
}
