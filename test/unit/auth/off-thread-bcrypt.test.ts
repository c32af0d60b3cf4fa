import bcrypt from "bcryptjs";
import { afterEach, describe, expect, it, vi } from "vitest";
import { OffThreadBcrypt } from "../../../server/auth/off-thread-bcrypt";

describe("OffThreadBcrypt", () => {
  const hasher = new OffThreadBcrypt();
  afterEach(() => vi.restoreAllMocks());

  it("compares on its worker thread, never on the event loop", async () => {
    const hash = bcrypt.hashSync("s3cret", 4);
    const onEventLoop = [vi.spyOn(bcrypt, "compare"), vi.spyOn(bcrypt, "compareSync")];
    const before = hasher.checks;
    expect(await Promise.all([hasher.compare("s3cret", hash), hasher.compare("wrong", hash), hasher.compare("s3cret", "not a bcrypt hash")])).toEqual([true, false, false]);
    expect(hasher.checks - before).toBe(3);
    expect(onEventLoop.map((spy) => spy.mock.calls.length)).toEqual([0, 0]);
  });

  it("a worker that went away fails its checks and is replaced by the next one", async () => {
    const hash = bcrypt.hashSync("s3cret", 4);
    expect(await hasher.compare("s3cret", hash)).toBe(true);
    const pending = hasher.compare("s3cret", bcrypt.hashSync("s3cret", 12));
    await hasher.close();
    await expect(pending).rejects.toThrow(/bcrypt worker exited/);
    expect(await hasher.compare("s3cret", hash)).toBe(true);
    await hasher.close();
  });
});
