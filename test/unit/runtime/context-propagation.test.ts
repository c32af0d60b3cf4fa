import { AsyncLocalStorage } from "node:async_hooks";
import { describe, expect, it } from "vitest";
import { contextPropagation, contextPropagationHint } from "../../../server/runtime/context";

describe("how this Node.js carries a unit of work's context", () => {
  it("tells async_hooks' AsyncLocalStorage from the context-frame one by its own method", () => {
    class OnAsyncHooks {
      _propagate(): void {}
      getStore(): void {}
    }
    class OnFrames {
      getStore(): void {}
    }
    expect(contextPropagation(OnAsyncHooks.prototype)).toBe("async-hooks");
    expect(contextPropagation(OnFrames.prototype)).toBe("async-context-frame");
    // The Node.js running the tests (24 or later; 22 is given the flag by scripts/node.sh) carries contexts in frames.
    expect(contextPropagation(AsyncLocalStorage.prototype)).toBe("async-context-frame");
  });

  it("says nothing when contexts ride on frames, and names the remedy for each Node.js otherwise", () => {
    expect(contextPropagationHint("async-context-frame", "22.3.0")).toBeNull();
    expect(contextPropagationHint("async-hooks", "24.11.0")).toMatch(/Node\.js 24\.11\.0.*without --no-async-context-frame/);
    expect(contextPropagationHint("async-hooks", "22.23.5")).toMatch(/with --experimental-async-context-frame/);
    expect(contextPropagationHint("async-hooks", "22.6.0")).toMatch(/use Node\.js 24 or later, or 22\.7\+/);
    expect(contextPropagationHint("async-hooks", "20.20.2")).toMatch(/use Node\.js 24 or later/);
  });
});
