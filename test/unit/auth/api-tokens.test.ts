import bcrypt from "bcryptjs";
import { describe, expect, it } from "vitest";
import { ApiTokenVerifier, mintApiToken, parseApiTokens } from "../../../server/auth/api-tokens";

describe("API tokens", () => {
  it("mints a token whose configuration entry accepts it, with the entry's role", async () => {
    const { token, entry } = mintApiToken("ci", "viewer", 4);
    expect(token).toMatch(/^lst_ci_[A-Za-z0-9_-]{32}$/);
    const { entries, problems } = parseApiTokens(entry);
    expect(problems).toEqual([]);
    const verifier = new ApiTokenVerifier(entries);
    expect(await verifier.verify(token)).toEqual({ name: "ci", role: "viewer", via: "token" });
    expect(await verifier.verify(token)).toEqual({ name: "ci", role: "viewer", via: "token" });
    expect(await verifier.verify(`${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`)).toBeNull();
    expect(await verifier.verify("lst_other_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")).toBeNull();
    expect(await verifier.verify("garbage")).toBeNull();
  });

  it("names bad entries without echoing hashes", () => {
    const hash = bcrypt.hashSync("x", 4);
    const { entries, problems } = parseApiTokens(`ok:editor:${hash}, bad name:viewer:${hash},r:admin:${hash},h:viewer:nothash,ok:viewer:${hash},x`);
    expect(entries.map((e) => e.name)).toEqual(["ok"]);
    expect(problems).toHaveLength(5);
    expect(problems.join("\n")).not.toContain(hash);
    expect(problems.join("\n")).toMatch(/invalid role "admin"/);
  });
});
