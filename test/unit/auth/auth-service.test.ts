import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { AuthService } from "../../../server/auth/auth-service";
import type { Principal } from "../../../server/auth/principal";
import { loadAuthSettings } from "../../../server/auth/settings";
import { loadConfig } from "../../../server/config";

function service(env: Record<string, string>, now = () => Date.now()) {
  return new AuthService(loadAuthSettings(loadConfig(env, "/srv")), randomBytes(32), now);
}

type Login = Awaited<ReturnType<AuthService["login"]>>;
function signedIn(result: Login): { principal: Principal; cookies: string[] } | undefined {
  return result && "cookies" in result ? result : undefined;
}

function cookieHeader(setCookies: string[]): string {
  return setCookies.map((c) => c.split(";")[0]).join("; ");
}

describe("AuthService", () => {
  it("signs in the admin, recognises the session, and revokes it on sign-out", async () => {
    const auth = service({ LOOPSCOPE_ADMIN_PASSWORD: "correct horse" });
    expect(await auth.login("admin", "wrong password", false)).toBeNull();
    expect(await auth.login("root", "correct horse", false)).toBeNull();
    const ok = signedIn(await auth.login("admin", "correct horse", true));
    expect(ok?.principal).toMatchObject({ name: "admin", role: "editor", via: "session" });
    expect(ok?.cookies[0]).toMatch(/^loopscope_session=[^;]+; Path=\/; Max-Age=43200; SameSite=Lax; HttpOnly; Secure$/);
    expect(ok?.cookies[1]).toMatch(/^loopscope_csrf=[^;]+; Path=\/; Max-Age=43200; SameSite=Strict; Secure$/);
    const cookie = cookieHeader(ok?.cookies ?? []);
    const seen = await auth.authenticate((n) => (n === "cookie" ? cookie : undefined));
    expect(seen.principal).toMatchObject({ name: "admin", role: "editor" });
    await auth.logout(seen.principal, false);
    expect(await auth.authenticate((n) => (n === "cookie" ? cookie : undefined))).toEqual({ principal: null, reason: "signed out" });
  });

  it("expires sessions after LOOPSCOPE_SESSION_TTL", async () => {
    let now = Date.UTC(2026, 0, 1);
    const auth = service({ LOOPSCOPE_ADMIN_PASSWORD: "correct horse", LOOPSCOPE_SESSION_TTL: "10m" }, () => now);
    const cookie = cookieHeader(signedIn(await auth.login("admin", "correct horse", false))?.cookies ?? []);
    now += 10 * 60_000;
    expect(await auth.authenticate((n) => (n === "cookie" ? cookie : undefined))).toEqual({ principal: null, reason: "session expired" });
  });

  it("is the local editor when authentication is off, and guards metrics/health by their own tokens", async () => {
    const auth = new AuthService(loadAuthSettings(loadConfig({ LOOPSCOPE_METRICS_TOKEN: "m".repeat(20) }, "/srv")), undefined);
    expect((await auth.authenticate(() => undefined)).principal).toMatchObject({ name: "local", role: "editor" });
    expect(auth.endpointAllowed("health", () => undefined)).toBe(true);
    expect(auth.endpointAllowed("metrics", () => undefined)).toBe(false);
    expect(auth.endpointAllowed("metrics", (n) => (n === "authorization" ? `Bearer ${"m".repeat(20)}` : undefined))).toBe(true);
    expect(auth.endpointAllowed("metrics", (n) => (n === "authorization" ? `Bearer ${"m".repeat(19)}x` : undefined))).toBe(false);
  });
});
