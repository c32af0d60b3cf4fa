import { isIP } from "node:net";
import type { HeaderLookup } from "./headers";
import type { Principal, Role } from "./principal";

/**
 * Identity from an authenticating reverse proxy (oauth2-proxy style): the first non-empty of
 * `userHeaders` names the user; `groupsHeader` (comma separated) maps to a role. Users in an
 * editor group are editors; others are viewers — unless `viewerGroups` is set, in which case
 * users in neither list are refused. These headers are only believed from trusted peers
 * (see `isTrustedPeer`); the HTTP layer strips them from everyone else.
 */
export interface ProxySettings {
  userHeaders: string[];
  groupsHeader: string;
  editorGroups: string[];
  viewerGroups: string[];
  trustedPeers: string[];
}

export function proxyRole(groups: readonly string[], settings: Pick<ProxySettings, "editorGroups" | "viewerGroups">): Role | null {
  if (groups.some((g) => settings.editorGroups.includes(g))) return "editor";
  if (settings.viewerGroups.length === 0) return "viewer";
  return groups.some((g) => settings.viewerGroups.includes(g)) ? "viewer" : null;
}

export function parseGroups(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((g) => g.trim())
    .filter((g) => g.length > 0);
}

export type ProxyIdentity = { kind: "none" } | { kind: "refused"; user: string } | { kind: "ok"; principal: Principal };

export function proxyIdentity(lookup: HeaderLookup, settings: ProxySettings): ProxyIdentity {
  const user = settings.userHeaders.map((h) => lookup(h)?.trim()).find((v) => v !== undefined && v.length > 0);
  if (!user) return { kind: "none" };
  const role = proxyRole(parseGroups(lookup(settings.groupsHeader)), settings);
  if (!role) return { kind: "refused", user };
  return { kind: "ok", principal: { name: user, role, via: "proxy", csrfSubject: `proxy:${user}` } };
}

/** Headers the proxy sets; removed from requests of untrusted peers. */
export function proxyHeaderNames(settings: ProxySettings): string[] {
  return [...settings.userHeaders, settings.groupsHeader];
}

function ipv4ToInt(ip: string): number {
  return ip.split(".").reduce((acc, part) => (acc << 8) + Number(part), 0) >>> 0;
}

/** Whether `address` (a socket peer) matches one of `trusted`: exact IPs or IPv4 CIDRs. */
export function isTrustedPeer(address: string | undefined, trusted: readonly string[]): boolean {
  if (!address) return false;
  const ip = address.startsWith("::ffff:") && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
  for (const entry of trusted) {
    const [base, bits] = entry.split("/");
    if (bits === undefined) {
      if (base === ip) return true;
      continue;
    }
    if (isIP(base) !== 4 || isIP(ip) !== 4) continue;
    const n = Number(bits);
    const mask = n === 0 ? 0 : (0xffffffff << (32 - n)) >>> 0;
    if ((ipv4ToInt(base) & mask) === (ipv4ToInt(ip) & mask)) return true;
  }
  return false;
}
