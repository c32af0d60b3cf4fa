import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hostAllowed, hostnameOf, parseHostPolicy } from "../../../server/auth/host-policy";

describe("Host allow-list (DNS-rebinding defence)", () => {
  const { policy } = parseHostPolicy("loopscope.example.com, *.dash.example", "https://public.example:8443/base");

  it("allows IP literals, loopback names, the public URL's host and the configured names", () => {
    for (const host of ["127.0.0.1:3000", "10.1.2.3", "[::1]:3000", "[fe80::1]", "localhost:3000", "app.localhost", "public.example", "LoopScope.Example.com:80", "a.dash.example", "loopscope.example.com."]) {
      expect(hostAllowed(policy, host), host).toBe(true);
    }
  });

  it("refuses every other name, look-alikes and malformed headers", () => {
    for (const host of ["rebind.evil.example:3000", "localhost.evil.example", "dash.example", "evil-dash.example", "loopscope.example.com.evil", "127.0.0.1.nip.io", "a b", "x/y", "user@localhost", ""]) {
      expect(hostAllowed(policy, host), host).toBe(false);
    }
  });

  it("any name that is not allowed by the list is refused (property)", () => {
    const label = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}[a-z0-9]$/);
    fc.assert(
      fc.property(fc.array(label, { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 65535 }), (labels, port) => {
        const name = [...labels, "evil"].join(".");
        expect(hostAllowed(policy, `${name}:${port}`)).toBe(false);
      }),
    );
  });

  it("`*` turns the check off; bad entries are configuration errors", () => {
    expect(hostAllowed(parseHostPolicy("*", undefined).policy, "anything.example")).toBe(true);
    expect(parseHostPolicy("ok.example, bad_name!, *.", undefined).problems).toHaveLength(2);
    expect(hostnameOf("[::1]:80")).toBe("::1");
  });
});
