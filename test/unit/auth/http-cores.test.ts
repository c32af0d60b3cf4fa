import { describe, expect, it } from "vitest";
import { bodyProblem } from "../../../server/http/body-limit";
import { safeNextPath } from "../../../server/http/respond";
import { contentSecurityPolicy, securityHeaders } from "../../../server/http/security-headers";

describe("HTTP hardening cores", () => {
  it("limits request bodies by declared length", () => {
    expect(bodyProblem("POST", "10", undefined, 1024)).toBeNull();
    expect(bodyProblem("POST", "1025", undefined, 1024)?.status).toBe(413);
    expect(bodyProblem("POST", undefined, "chunked", 1024)?.status).toBe(411);
    expect(bodyProblem("POST", "12abc", undefined, 1024)?.status).toBe(400);
    expect(bodyProblem("GET", undefined, undefined, 1024)).toBeNull();
    expect(bodyProblem("GET", "5", undefined, 1024)?.status).toBe(400);
  });

  it("CSP: nonce scripts, no eval, no framing", () => {
    const csp = contentSecurityPolicy("abc123==");
    expect(csp).toContain("script-src 'self' 'nonce-abc123=='");
    expect(csp).not.toContain("unsafe-eval");
    expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(securityHeaders("n")).toMatchObject({ "X-Content-Type-Options": "nosniff", "Referrer-Policy": "strict-origin-when-cross-origin" });
  });

  it("only redirects to same-site paths after login", () => {
    expect(safeNextPath("/alerts?x=1")).toBe("/alerts?x=1");
    for (const bad of ["//evil.example", "/\\evil.example", "https://evil.example", "javascript:alert(1)", "", null, "/login"]) expect(safeNextPath(bad)).toBe("/");
  });
});
