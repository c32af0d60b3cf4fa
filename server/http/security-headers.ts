import { createHash, randomBytes } from "node:crypto";
import { THEME_BOOT_SCRIPT } from "../../components/controls/theme";

/** A fresh per-response CSP nonce (Next reads it from the request's CSP header and puts it on its scripts). */
export function newNonce(): string {
  return randomBytes(16).toString("base64");
}

/** The one inline script of our own (theme boot, in <head>), allowed by hash. */
const THEME_SCRIPT_HASH = `'sha256-${createHash("sha256").update(THEME_BOOT_SCRIPT).digest("base64")}'`;

/**
 * Content-Security-Policy for production: scripts only from this origin or carrying this
 * response's nonce (no 'unsafe-eval', no 'unsafe-inline' for scripts); inline styles are
 * allowed (React style attributes, chart SVG). No framing, no plugins, forms post here only.
 */
export function contentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' ${THEME_SCRIPT_HASH}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** Headers set on every response. */
export function securityHeaders(nonce: string): Record<string, string> {
  return {
    "Content-Security-Policy": contentSecurityPolicy(nonce),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
  };
}
