import type { IncomingHttpHeaders } from "node:http";

/** Reads one request header (lower-case name); the first value when repeated. */
export type HeaderLookup = (name: string) => string | undefined;

/**
 * The client's address as the request gate saw it (the socket's peer), passed on to Next's
 * route handlers, which have no socket. The gate overwrites whatever a client sends.
 */
export const PEER_HEADER = "x-loopscope-peer";

export function webHeaders(headers: Pick<Headers, "get">): HeaderLookup {
  return (name) => headers.get(name) ?? undefined;
}

export function nodeHeaders(headers: IncomingHttpHeaders): HeaderLookup {
  return (name) => {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
}

/** Parses a Cookie header into name → value (first occurrence wins; bad encodings kept raw). */
export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  if (!header) return cookies;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (cookies.has(name)) continue;
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    try {
      value = decodeURIComponent(value);
    } catch {
      // keep raw
    }
    cookies.set(name, value);
  }
  return cookies;
}

export function bearerToken(lookup: HeaderLookup): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(lookup("authorization") ?? "");
  return match?.[1];
}
