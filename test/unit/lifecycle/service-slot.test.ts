import { describe, expect, it } from "vitest";
import { ServiceSlot, ServiceUnavailableError } from "../../../server/lifecycle/service-slot";

describe("ServiceSlot", () => {
  it("answers with the running service, and says why when it does not run here", () => {
    const slot = new ServiceSlot<{ n: number }>("runtime", "the controller loop");
    expect(slot.state).toBe("starting");
    expect(slot.find()).toBeUndefined();
    expect(() => slot.get()).toThrow(/The controller loop is not running yet \(Loopscope is starting\)/);

    const value = { n: 1 };
    slot.provide(value);
    expect(slot.get()).toBe(value);
    expect(slot.stored()).toBe(value);

    slot.off("LOOPSCOPE_SOURCE=none");
    expect(() => slot.get()).toThrow("The controller loop is off in this process: LOOPSCOPE_SOURCE=none.");

    slot.withdraw();
    expect(slot.state).toBe("stopped");
    expect(() => slot.stored()).toThrow(/has stopped/);
  });

  it("a follower keeps the built instance for stored data, and refuses live calls naming the leader", () => {
    const slot = new ServiceSlot<{ n: number }>("targets", "target scraping");
    const built = { n: 2 };
    let leader: string | undefined = "replica-b";
    slot.follow(built, () => leader);
    expect(slot.state).toBe("follower");
    expect(slot.find()).toBeUndefined();
    expect(slot.stored()).toBe(built);
    expect(slot.findStored()).toBe(built);
    let caught: unknown;
    try {
      slot.get();
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ServiceUnavailableError);
    expect(caught).toMatchObject({ name: "ServiceUnavailableError", service: "targets", state: "follower" });
    expect((caught as Error).message).toBe("This replica is a follower: target scraping runs on the leader (replica-b). Ask the leader's dashboard.");
    leader = undefined; // lease released: no holder named
    expect(() => slot.get()).toThrow("This replica is a follower: target scraping runs on the leader. Ask the leader's dashboard.");
  });
});
