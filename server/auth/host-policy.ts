import { isIP } from "node:net";

/**
 * Which `Host` headers this Loopscope answers, against DNS rebinding: a web page on
 * `rebind.evil.example` whose name later resolves to 127.0.0.1 is same-origin with
 * Loopscope from the browser's point of view, but its requests still carry
 * `Host: rebind.evil.example`. Allowed: IP literals (a rebinding attack needs a name),
 * `localhost` and `*.localhost`, the host of LOOPSCOPE_PUBLIC_URL and LOOPSCOPE_ALLOWED_HOSTS
 * (exact names, `*.example.com` for subdomains, or `*` to turn the check off).
 */
export interface HostPolicy {
  readonly anyHost: boolean;
  /** Lower-case names allowed exactly. */
  readonly names: readonly string[];
  /** Lower-case suffixes (".example.com") whose subdomains are allowed. */
  readonly suffixes: readonly string[];
}

const NAME = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$/;

/** Parses LOOPSCOPE_ALLOWED_HOSTS (plus the public URL's host); returns the policy or the bad entries. */
export function parseHostPolicy(list: string | undefined, publicUrl: string | undefined): { policy: HostPolicy; problems: string[] } {
  const names: string[] = [];
  const suffixes: string[] = [];
  const problems: string[] = [];
  let anyHost = false;
  if (publicUrl) names.push(new URL(publicUrl).hostname.toLowerCase());
  for (const raw of (list ?? "").split(",")) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === "*") anyHost = true;
    else if (!NAME.test(entry)) problems.push(`LOOPSCOPE_ALLOWED_HOSTS entry "${raw.trim()}" is invalid: expected a host name such as loopscope.example.com, *.example.com or *`);
    else if (entry.startsWith("*.")) suffixes.push(entry.slice(1).replace(/\.$/, ""));
    else names.push(entry.replace(/\.$/, ""));
  }
  return { policy: { anyHost, names, suffixes }, problems };
}

/** The host name of a Host header (`name:port`, `[v6]:port`), lower-case, without a trailing dot; undefined when malformed. */
export function hostnameOf(hostHeader: string): string | undefined {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]/\s@]+)(:\d{1,5})?$/.exec(hostHeader.trim());
  if (!match) return undefined;
  return match[1].replace(/^\[|\]$/g, "").toLowerCase().replace(/\.$/, "");
}

/** Whether a request with this Host header may be served (a missing Host, as from HTTP/1.0 clients, may: no browser omits it). */
export function hostAllowed(policy: HostPolicy, hostHeader: string | undefined): boolean {
  if (policy.anyHost || hostHeader === undefined) return true;
  const name = hostnameOf(hostHeader);
  if (name === undefined) return false;
  if (isIP(name) !== 0) return true;
  if (name === "localhost" || name.endsWith(".localhost")) return true;
  return policy.names.includes(name) || policy.suffixes.some((suffix) => name.endsWith(suffix));
}

export function hostRefusal(hostHeader: string | undefined): string {
  const shown = (hostHeader ?? "").slice(0, 100);
  return `Host ${JSON.stringify(shown)} is not a name this Loopscope serves (a DNS-rebinding page would send it); add it to LOOPSCOPE_ALLOWED_HOSTS or set LOOPSCOPE_PUBLIC_URL.`;
}
