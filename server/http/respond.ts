import type { ServerResponse } from "node:http";

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string | string[]> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store", "Content-Length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

/**
 * Makes every 429 on `res` carry Retry-After (`seconds` unless the code that answered set its
 * own): a client told "too many requests" must be told when to come back, whoever answered
 * (the request gate, tRPC, a Next page). Node writes every response head through writeHead
 * (implicit heads too), so hooking it covers them all.
 */
export function retryAfterOn429(res: ServerResponse, seconds = 1): void {
  const writeHead = res.writeHead;
  res.writeHead = function (this: ServerResponse, statusCode: number, ...rest: unknown[]) {
    if (statusCode === 429 && !this.hasHeader("retry-after") && !namesRetryAfter(rest)) this.setHeader("Retry-After", String(seconds));
    return (writeHead as (...args: unknown[]) => ServerResponse).apply(this, [statusCode, ...rest]);
  } as ServerResponse["writeHead"];
}

/** Whether writeHead's optional (reason, headers) arguments set Retry-After (headers as an object or a flat [name, value, …] list). */
function namesRetryAfter(rest: unknown[]): boolean {
  const headers = rest.find((a) => typeof a === "object" && a !== null);
  if (Array.isArray(headers)) return headers.some((h, i) => i % 2 === 0 && String(h).toLowerCase() === "retry-after");
  return headers !== undefined && Object.keys(headers).some((name) => name.toLowerCase() === "retry-after");
}

export function redirect(res: ServerResponse, location: string, headers: Record<string, string | string[]> = {}): void {
  res.writeHead(303, { Location: location, "Cache-Control": "no-store", "Content-Length": 0, ...headers });
  res.end();
}

const SELF = "http://loopscope.invalid";

/**
 * A same-site path to go back to after login (`/x?y#z`), never another origin. The value is
 * judged the way a browser would read it: browsers drop tabs and newlines anywhere in a URL
 * and read `\` as `/`, so `/\t/evil.example` is `//evil.example`. Anything with a control
 * character or a backslash is refused; the rest is parsed with the WHATWG URL parser against
 * a placeholder origin and must stay on it, and what is returned is the parser's own
 * serialisation (so it is what the browser will follow, and safe in a Location header).
 */
export function safeNextPath(value: string | null | undefined): string {
  if (!value || value.length > 2_048 || !value.startsWith("/")) return "/";
  if (/[\u0000-\u0020\u007f-\u009f\\]/.test(value)) return "/";
  let url: URL;
  try {
    url = new URL(value, SELF);
  } catch {
    return "/";
  }
  if (url.origin !== SELF) return "/";
  const path = `${url.pathname}${url.search}${url.hash}`;
  if (!path.startsWith("/") || path.startsWith("//")) return "/";
  return path.startsWith("/login") || path.startsWith("/api/auth") ? "/" : path;
}
