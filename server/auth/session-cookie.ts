import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { isRole, type Role } from "./principal";

/**
 * Stateless session cookies: `<base64url(JSON payload)>.<base64url(HMAC-SHA256(key, payload))>`.
 * The payload holds the user, role, a random session id and issue/expiry times (epoch seconds).
 */
export interface SessionPayload {
  v: 1;
  sub: string;
  role: Role;
  sid: string;
  iat: number;
  exp: number;
}

export const SESSION_COOKIE = "loopscope_session";
export const CSRF_COOKIE = "loopscope_csrf";
export const CSRF_HEADER = "x-loopscope-csrf";

function mac(key: Buffer, data: string): Buffer {
  return createHmac("sha256", key).update(data).digest();
}

export function newSessionId(): string {
  return randomBytes(16).toString("base64url");
}

export function signSession(key: Buffer, session: { sub: string; role: Role; sid?: string }, nowMs: number, ttlMs: number): { value: string; payload: SessionPayload } {
  const iat = Math.floor(nowMs / 1000);
  const payload: SessionPayload = { v: 1, sub: session.sub, role: session.role, sid: session.sid ?? newSessionId(), iat, exp: iat + Math.ceil(ttlMs / 1000) };
  const body = Buffer.from(JSON.stringify(payload)).toString("base64url");
  return { value: `${body}.${mac(key, `session.${body}`).toString("base64url")}`, payload };
}

export type SessionCheck = { ok: true; payload: SessionPayload } | { ok: false; reason: "malformed" | "bad-signature" | "expired" };

export function verifySession(key: Buffer, value: string, nowMs: number): SessionCheck {
  const parts = value.split(".");
  if (parts.length !== 2 || !/^[A-Za-z0-9_-]+$/.test(parts[0]) || !/^[A-Za-z0-9_-]+$/.test(parts[1])) return { ok: false, reason: "malformed" };
  const given = Buffer.from(parts[1], "base64url");
  const expected = mac(key, `session.${parts[0]}`);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: "bad-signature" };
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(parts[0], "base64url").toString("utf8"));
  } catch {
    return { ok: false, reason: "malformed" };
  }
  const p = payload as Partial<SessionPayload>;
  if (p.v !== 1 || typeof p.sub !== "string" || typeof p.role !== "string" || !isRole(p.role) || typeof p.sid !== "string" || typeof p.iat !== "number" || typeof p.exp !== "number") {
    return { ok: false, reason: "malformed" };
  }
  if (nowMs >= p.exp * 1000) return { ok: false, reason: "expired" };
  return { ok: true, payload: p as SessionPayload };
}

/** The CSRF token bound to a subject (session id or proxy user): HMAC, so it cannot be forged without the key. */
export function csrfToken(key: Buffer, subject: string): string {
  return mac(key, `csrf.${subject}`).toString("base64url");
}

export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
