import { describe, expect, it } from "vitest";
import { parseGoroutineDump } from "../../../server/goroutines/goroutine-dump";
import { groupGoroutines } from "../../../server/goroutines/goroutine-groups";
import { goroutineGrowthWindows, goroutineSuspects, STUCK_STATES } from "../../../server/goroutines/goroutine-suspects";

/** One goroutine in `state`, waiting `minutes`, at main.go:`line`. */
function goroutine(id: number, state: string, minutes: number, line: number): string {
  const bracket = minutes > 0 ? `${state}, ${minutes} minutes` : state;
  return `goroutine ${id} [${bracket}]:\nmain.worker()\n\t/src/app/main.go:${line} +0x1d\ncreated by main.main in goroutine 1\n\t/src/app/main.go:10 +0x4f\n`;
}

const flat = () => [{ t: 0, value: 1 }];
const options = { growth: goroutineGrowthWindows(30_000), blockedMinutes: 10 };

describe("goroutineSuspects: goroutines blocked in one place", () => {
  it("flags a goroutine stuck on a channel send or a mutex for the threshold, not a minute less", () => {
    const dump = [goroutine(1, "chan send", 10, 20), goroutine(2, "sync.Mutex.Lock", 45, 30), goroutine(3, "chan send", 9, 40)].join("\n");
    const groups = groupGoroutines(parseGoroutineDump(dump).goroutines);
    const suspects = goroutineSuspects(groups, flat, 60_000, options);
    expect(suspects.map((s) => [s.group.topUserFrame, s.reasons])).toEqual([
      ["main.worker (/src/app/main.go:20)", ["blocked"]],
      ["main.worker (/src/app/main.go:30)", ["blocked"]],
    ]);
    expect(suspects.every((s) => s.growthPerMinute === 0)).toBe(true);
  });

  it("never flags how healthy servers rest, however long: receiving, select, I/O, sleep, condition waits", () => {
    const idle = ["chan receive", "select", "IO wait", "sleep", "sync.Cond.Wait", "syscall"];
    const dump = idle.map((state, i) => goroutine(i + 1, state, 600, 100 + i)).join("\n");
    for (const state of idle) expect(STUCK_STATES.has(state)).toBe(false);
    expect(goroutineSuspects(groupGoroutines(parseGoroutineDump(dump).goroutines), flat, 60_000, options)).toEqual([]);
  });
});
