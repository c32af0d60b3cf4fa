import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../../server/config";
import { isLoopbackHost, loadAuthSettings } from "../../../server/auth/settings";

const HASH = "$2b$04$abcdefghijklmnopqrstuuJ0XkMWa3lyN0ZyJ7.J6zFZ3MRmjzJnO";

function settings(env: Record<string, string>) {
  return loadAuthSettings(loadConfig(env, "/srv"));
}

function problems(env: Record<string, string>): string {
  try {
    settings(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("expected a ConfigError");
}

describe("authentication settings", () => {
  it("knows loopback addresses", () => {
    for (const h of ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]", "::ffff:127.0.0.1"]) expect(isLoopbackHost(h)).toBe(true);
    for (const h of ["0.0.0.0", "::", "10.0.0.1", "example.com", "128.0.0.1"]) expect(isLoopbackHost(h)).toBe(false);
  });

  it("keeps today's behaviour on loopback with nothing configured", () => {
    expect(settings({}).mode).toBe("none");
  });

  it("refuses a non-loopback HOST without authentication, unless LOOPSCOPE_AUTH=none is explicit", () => {
    expect(problems({ HOST: "0.0.0.0" })).toMatch(/HOST="0\.0\.0\.0" is not a loopback address, so authentication is required/);
    expect(settings({ HOST: "0.0.0.0", LOOPSCOPE_AUTH: "none" }).mode).toBe("none");
    expect(settings({ HOST: "0.0.0.0", LOOPSCOPE_ADMIN_PASSWORD_HASH: HASH }).mode).toBe("password");
    expect(settings({ HOST: "0.0.0.0", LOOPSCOPE_AUTH: "proxy", LOOPSCOPE_AUTH_PROXY_EDITOR_GROUPS: "sre,ops" }).proxy.editorGroups).toEqual(["sre", "ops"]);
  });

  it("needs credentials for password mode and never echoes secrets", () => {
    expect(problems({ LOOPSCOPE_AUTH: "password" })).toMatch(/needs LOOPSCOPE_ADMIN_PASSWORD/);
    const message = problems({ LOOPSCOPE_ADMIN_PASSWORD: "short77", LOOPSCOPE_METRICS_TOKEN: "tiny-secret", LOOPSCOPE_SESSION_KEY: "zz-not-hex" });
    expect(message).toMatch(/LOOPSCOPE_ADMIN_PASSWORD is too short/);
    expect(message).toMatch(/LOOPSCOPE_METRICS_TOKEN is invalid/);
    expect(message).toMatch(/LOOPSCOPE_SESSION_KEY is invalid/);
    for (const secret of ["short77", "tiny-secret", "zz-not-hex"]) expect(message).not.toContain(secret);
  });

  it("validates proxy settings", () => {
    expect(problems({ LOOPSCOPE_AUTH: "proxy", LOOPSCOPE_AUTH_PROXY_TRUSTED: "10.0.0.0/40" })).toMatch(/LOOPSCOPE_AUTH_PROXY_TRUSTED entry "10\.0\.0\.0\/40"/);
    expect(problems({ LOOPSCOPE_AUTH: "proxy", LOOPSCOPE_AUTH_PROXY_GROUPS_HEADER: "bad header" })).toMatch(/header name "bad header"/);
    expect(settings({ LOOPSCOPE_AUTH: "proxy" }).proxy).toMatchObject({ userHeaders: ["x-forwarded-user", "x-forwarded-email"], trustedPeers: ["127.0.0.1", "::1"] });
  });
});
