import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { safeNextPath } from "../../../server/http/respond";

/** Issue 17, item 7: the post-sign-in redirect never leaves the site, however `next` is spelt. */
const BASES = ["http://127.0.0.1:3000/login", "https://dash.example/login?next=x"];

/** Where a browser goes when a page at `base` is redirected to `location`. */
function followed(location: string, base: string): URL {
  return new URL(location, base);
}

function staysHome(location: string): void {
  expect(location.startsWith("/")).toBe(true);
  // A Location header value a browser reads exactly as we do: visible ASCII only.
  expect(location).toMatch(/^[\x21-\x7e]*$/);
  for (const base of BASES) expect(followed(location, base).origin).toBe(new URL(base).origin);
}

describe("safeNextPath (the sign-in redirect checker)", () => {
  it("refuses the known bypasses", () => {
    for (const next of [
      "/\t/evil.example/",
      "/\n/evil.example",
      "/\r\n/evil.example",
      "/\\evil.example",
      "/\t\\evil.example",
      "//evil.example",
      "/./\t/evil.example",
      "/.//evil.example",
      "/%2e//evil.example",
      "https://evil.example/",
      "\t//evil.example",
      " /x",
      "/login?next=//evil",
      "/./login",
      "/api/auth/logout",
    ]) {
      const safe = safeNextPath(next);
      staysHome(safe);
      expect(safe, JSON.stringify(next)).toBe("/");
    }
  });

  it("keeps ordinary paths, queries and fragments", () => {
    expect(safeNextPath("/alerts?tab=channels#x")).toBe("/alerts?tab=channels#x");
    expect(safeNextPath("/targets?edit=3")).toBe("/targets?edit=3");
    expect(safeNextPath("/leaks/%2Fa")).toBe("/leaks/%2Fa");
  });

  it("whatever the input, the browser lands on the same origin (fuzzed)", () => {
    const piece = fc.constantFrom("/", "\\", "\t", "\n", "\r", " ", ".", "..", ":", "@", "%2f", "%5c", "%09", "evil.example", "http:", "//", "?", "#", "\u3002", "\u2215", "\uff0f", "a", "login");
    const tricky = fc.array(piece, { maxLength: 12 }).map((parts) => parts.join(""));
    fc.assert(
      fc.property(fc.oneof(tricky, tricky.map((t) => `/${t}`), fc.string(), fc.string({ unit: "grapheme" })), (next) => {
        staysHome(safeNextPath(next));
      }),
      { numRuns: 20_000 },
    );
  });
});
