import { describe, expect, it } from "vitest";
import { isTrustedPeer, type ProxySettings, proxyIdentity, proxyRole } from "../../../server/auth/proxy-identity";

const settings: ProxySettings = {
  userHeaders: ["x-forwarded-user", "x-forwarded-email"],
  groupsHeader: "x-forwarded-groups",
  editorGroups: ["sre"],
  viewerGroups: [],
  trustedPeers: ["127.0.0.1", "10.0.0.0/8"],
};

describe("proxy identity", () => {
  it("maps groups to roles", () => {
    expect(proxyRole(["dev", "sre"], settings)).toBe("editor");
    expect(proxyRole(["dev"], settings)).toBe("viewer");
    expect(proxyRole([], settings)).toBe("viewer");
    expect(proxyRole(["dev"], { editorGroups: ["sre"], viewerGroups: ["dev"] })).toBe("viewer");
    expect(proxyRole(["guest"], { editorGroups: ["sre"], viewerGroups: ["dev"] })).toBeNull();
  });

  it("reads the first user header present and the groups header", () => {
    const h: Record<string, string> = { "x-forwarded-email": "ann@example.com", "x-forwarded-groups": "dev, sre" };
    const id = proxyIdentity((n) => h[n], settings);
    expect(id).toEqual({ kind: "ok", principal: { name: "ann@example.com", role: "editor", via: "proxy", csrfSubject: "proxy:ann@example.com" } });
    expect(proxyIdentity(() => undefined, settings)).toEqual({ kind: "none" });
    expect(proxyIdentity((n) => (n === "x-forwarded-user" ? "bob" : undefined), { ...settings, viewerGroups: ["dev"] })).toEqual({ kind: "refused", user: "bob" });
  });

  it("trusts only listed peers (exact or IPv4 CIDR, IPv4-mapped IPv6 too)", () => {
    expect(isTrustedPeer("127.0.0.1", settings.trustedPeers)).toBe(true);
    expect(isTrustedPeer("::ffff:10.2.3.4", settings.trustedPeers)).toBe(true);
    expect(isTrustedPeer("11.0.0.1", settings.trustedPeers)).toBe(false);
    expect(isTrustedPeer("::1", settings.trustedPeers)).toBe(false);
    expect(isTrustedPeer(undefined, settings.trustedPeers)).toBe(false);
  });
});
