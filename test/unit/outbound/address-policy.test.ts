import type { LookupAddress } from "node:dns";
import { describe, expect, it } from "vitest";
import {
  OutboundRefusedError,
  PUBLIC_ONLY_OUTBOUND_POLICY,
  SCRAPE_OUTBOUND_POLICY,
  checkOutboundAddress,
  checkOutboundHost,
  classifyAddress,
  guardedLookup,
  resolveAndCheck,
} from "../../../server/outbound/address-policy";

describe("address classification", () => {
  it.each([
    ["169.254.169.254", "metadata"],
    ["169.254.170.2", "metadata"],
    ["100.100.100.200", "metadata"],
    ["fd00:ec2::254", "metadata"],
    ["FD00:EC2:0:0:0:0:0:254", "metadata"],
    ["::ffff:169.254.169.254", "metadata"],
    ["::ffff:a9fe:a9fe", "metadata"],
    ["64:ff9b::a9fe:a9fe", "metadata"],
    ["169.254.0.1", "link-local"],
    ["169.254.255.255", "link-local"],
    ["fe80::1", "link-local"],
    ["febf:ffff::1", "link-local"],
    ["[fe80::1%eth0]", "link-local"],
    ["127.0.0.1", "loopback"],
    ["127.255.0.9", "loopback"],
    ["0.0.0.0", "loopback"],
    ["::1", "loopback"],
    ["::", "loopback"],
    ["10.0.0.1", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.1", "private"],
    ["100.64.0.1", "private"],
    ["fc00::1", "private"],
    ["fd12:3456::1", "private"],
    ["172.32.0.1", "public"],
    ["169.253.255.255", "public"],
    ["8.8.8.8", "public"],
    ["2001:db8::1", "public"],
    ["fec0::1", "public"],
    ["224.0.0.251", "multicast"],
    ["ff02::1", "multicast"],
    ["255.255.255.255", "reserved"],
  ])("%s is %s", (address, expected) => {
    expect(classifyAddress(address)).toBe(expected);
  });

  it("does not classify names", () => {
    expect(classifyAddress("example.com")).toBeUndefined();
    expect(classifyAddress("169.254.169.254.nip.io")).toBeUndefined();
  });
});

describe("the pure checks", () => {
  it("refuses link-local and metadata for scraping, allows loopback, private and public", () => {
    expect(checkOutboundAddress("169.254.169.254", SCRAPE_OUTBOUND_POLICY)).toEqual({ allowed: false, reason: "refused to connect to 169.254.169.254: it is a cloud metadata endpoint; set LOOPSCOPE_ALLOW_METADATA_TARGETS=true to allow it" });
    expect(checkOutboundAddress("169.254.10.10", SCRAPE_OUTBOUND_POLICY)).toEqual({ allowed: false, reason: "refused to connect to 169.254.10.10: it is a link-local address; set LOOPSCOPE_ALLOW_LINK_LOCAL_TARGETS=true to allow it" });
    expect(checkOutboundAddress("fe80::1", SCRAPE_OUTBOUND_POLICY).allowed).toBe(false);
    for (const ok of ["127.0.0.1", "10.1.2.3", "::1", "8.8.8.8"]) expect(checkOutboundAddress(ok, SCRAPE_OUTBOUND_POLICY)).toEqual({ allowed: true });
    expect(checkOutboundAddress("224.0.0.1", { allowLinkLocal: true, allowMetadata: true, allowPrivate: true, allowLoopback: true }).allowed).toBe(false);
  });

  it("lets each class through only with its own switch", () => {
    const linkLocalOnly = { ...SCRAPE_OUTBOUND_POLICY, allowLinkLocal: true };
    expect(checkOutboundAddress("169.254.10.10", linkLocalOnly).allowed).toBe(true);
    expect(checkOutboundAddress("169.254.169.254", linkLocalOnly).allowed).toBe(false);
    expect(checkOutboundAddress("169.254.169.254", { ...SCRAPE_OUTBOUND_POLICY, allowMetadata: true }).allowed).toBe(true);
    expect(checkOutboundAddress("10.0.0.1", PUBLIC_ONLY_OUTBOUND_POLICY).allowed).toBe(false);
    expect(checkOutboundAddress("127.0.0.1", PUBLIC_ONLY_OUTBOUND_POLICY).allowed).toBe(false);
  });

  it("checks URL hosts: IP literals, bracketed IPv6, metadata names and localhost", () => {
    expect(checkOutboundHost("[fe80::1]", SCRAPE_OUTBOUND_POLICY)).toEqual({ allowed: false, reason: "refused to connect to fe80::1: it is a link-local address; set LOOPSCOPE_ALLOW_LINK_LOCAL_TARGETS=true to allow it" });
    expect(checkOutboundHost("Metadata.Google.Internal.", SCRAPE_OUTBOUND_POLICY)).toEqual({
      allowed: false,
      reason: "refused to connect to metadata.google.internal: it is a cloud metadata endpoint; set LOOPSCOPE_ALLOW_METADATA_TARGETS=true to allow it",
    });
    expect(checkOutboundHost("localhost", PUBLIC_ONLY_OUTBOUND_POLICY).allowed).toBe(false);
    expect(checkOutboundHost("api.localhost", PUBLIC_ONLY_OUTBOUND_POLICY).allowed).toBe(false);
    expect(checkOutboundHost("example.com", PUBLIC_ONLY_OUTBOUND_POLICY).allowed).toBe(true);
    expect(checkOutboundHost("localhost", SCRAPE_OUTBOUND_POLICY).allowed).toBe(true);
  });
});

const fakeDns = (table: Record<string, LookupAddress[]>) => async (host: string) => {
  const found = table[host];
  if (found === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
  return found;
};

describe("resolve and check", () => {
  const dns = fakeDns({
    "rebind.example": [
      { address: "93.184.216.34", family: 4 },
      { address: "169.254.169.254", family: 4 },
    ],
    "app.example": [{ address: "10.0.0.7", family: 4 }],
  });

  it("refuses a name when any of its addresses is forbidden", async () => {
    expect(await resolveAndCheck("rebind.example", SCRAPE_OUTBOUND_POLICY, dns)).toEqual({
      ok: false,
      reason: "rebind.example resolves to 169.254.169.254; refused to connect to 169.254.169.254: it is a cloud metadata endpoint; set LOOPSCOPE_ALLOW_METADATA_TARGETS=true to allow it",
    });
    expect(await resolveAndCheck("app.example", SCRAPE_OUTBOUND_POLICY, dns)).toEqual({ ok: true, addresses: ["10.0.0.7"] });
    expect(await resolveAndCheck("app.example", PUBLIC_ONLY_OUTBOUND_POLICY, dns)).toMatchObject({ ok: false });
    expect(await resolveAndCheck("missing.example", SCRAPE_OUTBOUND_POLICY, dns)).toEqual({ ok: false, reason: "cannot resolve missing.example: ENOTFOUND" });
    expect(await resolveAndCheck("169.254.169.254", SCRAPE_OUTBOUND_POLICY, dns)).toMatchObject({ ok: false });
    expect(await resolveAndCheck("[::1]", SCRAPE_OUTBOUND_POLICY, dns)).toEqual({ ok: true, addresses: ["::1"] });
  });

  it("uses the system resolver by default (localhost is loopback)", async () => {
    expect(await resolveAndCheck("localhost", SCRAPE_OUTBOUND_POLICY)).toMatchObject({ ok: true });
    expect(await resolveAndCheck("localhost", PUBLIC_ONLY_OUTBOUND_POLICY)).toEqual({ ok: false, reason: "refused to connect to localhost: it is a loopback address" });
  });

  it("provides a connect-time lookup that refuses forbidden addresses", async () => {
    const lookup = (policy: typeof SCRAPE_OUTBOUND_POLICY, host: string, all: boolean) =>
      new Promise<{ error: Error | null; address: unknown }>((resolve) =>
        guardedLookup(policy, dns)(host, { all }, (error, address) => resolve({ error, address })),
      );
    const refused = await lookup(SCRAPE_OUTBOUND_POLICY, "rebind.example", true);
    expect(refused.error).toBeInstanceOf(OutboundRefusedError);
    expect(refused.error?.message).toBe("rebind.example resolves to 169.254.169.254; refused to connect to 169.254.169.254: it is a cloud metadata endpoint; set LOOPSCOPE_ALLOW_METADATA_TARGETS=true to allow it");
    expect(await lookup(SCRAPE_OUTBOUND_POLICY, "app.example", true)).toEqual({ error: null, address: [{ address: "10.0.0.7", family: 4 }] });
    expect(await lookup(SCRAPE_OUTBOUND_POLICY, "app.example", false)).toEqual({ error: null, address: "10.0.0.7" });
    expect((await lookup(SCRAPE_OUTBOUND_POLICY, "missing.example", false)).error?.message).toBe("getaddrinfo ENOTFOUND missing.example");
  });

  it("the default connect-time lookup uses the system resolver", async () => {
    const result = await new Promise<Error | null>((resolve) => guardedLookup(PUBLIC_ONLY_OUTBOUND_POLICY)("localhost", { all: true }, (error) => resolve(error)));
    expect(result).toBeInstanceOf(OutboundRefusedError);
  });
});
