import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { csrfToken, signSession, verifySession } from "../../../server/auth/session-cookie";

const key = randomBytes(32);
const T0 = Date.UTC(2026, 0, 1);
const HOUR = 3_600_000;

describe("session cookies", () => {
  it("verifies what it signed, until it expires", () => {
    const { value, payload } = signSession(key, { sub: "admin", role: "editor" }, T0, HOUR);
    expect(value).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    const ok = verifySession(key, value, T0 + HOUR - 1_000);
    expect(ok).toEqual({ ok: true, payload });
    expect(payload.exp - payload.iat).toBe(3_600);
    expect(verifySession(key, value, T0 + HOUR)).toEqual({ ok: false, reason: "expired" });
  });

  it("refuses a tampered payload, a tampered signature and another key", () => {
    const { value } = signSession(key, { sub: "viewer-bob", role: "viewer" }, T0, HOUR);
    const [body, sig] = value.split(".");
    const forged = Buffer.from(Buffer.from(body, "base64url").toString().replace('"viewer"', '"editor"')).toString("base64url");
    expect(verifySession(key, `${forged}.${sig}`, T0)).toEqual({ ok: false, reason: "bad-signature" });
    const flipped = sig.slice(0, -2) + (sig.endsWith("AA") ? "BB" : "AA");
    expect(verifySession(key, `${body}.${flipped}`, T0)).toEqual({ ok: false, reason: "bad-signature" });
    expect(verifySession(randomBytes(32), value, T0)).toEqual({ ok: false, reason: "bad-signature" });
  });

  it("refuses malformed values", () => {
    for (const bad of ["", "abc", "a.b.c", "a b.c", `${Buffer.from("not json").toString("base64url")}.x`]) {
      expect(verifySession(key, bad, T0).ok).toBe(false);
    }
  });

  it("derives CSRF tokens bound to the subject and the key", () => {
    expect(csrfToken(key, "session:a")).toBe(csrfToken(key, "session:a"));
    expect(csrfToken(key, "session:a")).not.toBe(csrfToken(key, "session:b"));
    expect(csrfToken(randomBytes(32), "session:a")).not.toBe(csrfToken(key, "session:a"));
  });
});
