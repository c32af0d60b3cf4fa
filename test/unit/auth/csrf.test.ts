import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { csrfProblem } from "../../../server/auth/csrf";
import { parseHostPolicy } from "../../../server/auth/host-policy";
import type { Principal } from "../../../server/auth/principal";
import { csrfToken } from "../../../server/auth/session-cookie";

const key = randomBytes(32);
const hosts = parseHostPolicy("loopscope.example", undefined).policy;
const session: Principal = { name: "admin", role: "editor", via: "session", csrfSubject: "session:s1", sessionId: "s1" };
const local: Principal = { name: "local", role: "editor", via: "local" };
const token: Principal = { name: "ci", role: "editor", via: "token" };

function headers(h: Record<string, string>) {
  return (name: string) => h[name];
}

describe("CSRF checks on mutations", () => {
  const host = { host: "loopscope.example:3000" };
  it("accepts a same-origin session request with the right token", () => {
    const h = headers({ ...host, origin: "http://loopscope.example:3000", "sec-fetch-site": "same-origin", "x-loopscope-csrf": csrfToken(key, "session:s1") });
    expect(csrfProblem(h, session, key, [], hosts)).toBeNull();
  });

  it("refuses a session request without the token or with another session's token", () => {
    expect(csrfProblem(headers({ ...host }), session, key)).toMatch(/CSRF token/);
    expect(csrfProblem(headers({ ...host, "x-loopscope-csrf": csrfToken(key, "session:s2") }), session, key)).toMatch(/CSRF token/);
  });

  it("refuses cross-site fetch metadata and foreign origins, even for the local user", () => {
    expect(csrfProblem(headers({ ...host, "sec-fetch-site": "cross-site" }), local, key)).toMatch(/cross-site/);
    expect(csrfProblem(headers({ ...host, "sec-fetch-site": "same-site" }), local, key)).toMatch(/cross-site/);
    expect(csrfProblem(headers({ ...host, origin: "http://evil.example" }), local, key)).toMatch(/another origin/);
    expect(csrfProblem(headers({ ...host, origin: "null" }), local, key)).toMatch(/another origin/);
  });

  it("accepts non-browser clients without Origin, a configured public origin, and bearer tokens from anywhere", () => {
    expect(csrfProblem(headers({ ...host }), local, key)).toBeNull();
    expect(csrfProblem(headers({ ...host, origin: "https://dash.example" }), local, key, ["https://dash.example"])).toBeNull();
    expect(csrfProblem(headers({ host: "127.0.0.1:3000", origin: "http://127.0.0.1:3000" }), local, key)).toBeNull();
    expect(csrfProblem(headers({ ...host, origin: "http://evil.example", "sec-fetch-site": "cross-site" }), token, key)).toBeNull();
  });

  it("compares Origin with allowed hosts only: not a Host outside the allow-list, never X-Forwarded-Host", () => {
    // A DNS-rebinding page: same origin as far as the browser knows, but its name is not ours.
    const rebound = { host: "rebind.evil.example:3000", origin: "http://rebind.evil.example:3000", "sec-fetch-site": "same-origin" };
    expect(csrfProblem(headers(rebound), local, key, [], hosts)).toMatch(/another origin/);
    // A page can set X-Forwarded-Host itself; it no longer widens the accepted origins.
    const forged = { host: "127.0.0.1:3000", "x-forwarded-host": "evil.example", origin: "http://evil.example" };
    expect(csrfProblem(headers(forged), local, key, [], hosts)).toMatch(/another origin/);
    // The same Host allowed by LOOPSCOPE_ALLOWED_HOSTS passes.
    expect(csrfProblem(headers({ host: "loopscope.example:3000", origin: "http://loopscope.example:3000" }), local, key, [], hosts)).toBeNull();
  });
});
