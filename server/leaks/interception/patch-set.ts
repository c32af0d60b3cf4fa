/**
 * Replaced functions and how to put them back. `restoreAll` reinstates every original
 * whose slot still holds our wrapper; if someone wrapped ours in the meantime, the slot
 * is left alone and our wrapper passes calls straight through (`active` is false), so
 * uninstalling is always safe.
 */
export class PatchSet {
  /** False once restored: wrappers still reachable from elsewhere stop recording. */
  active = true;
  private readonly restores: (() => void)[] = [];

  /** Puts `wrapper` in `owner[key]`, carrying over the original's extra properties (e.g. util.promisify.custom). */
  replace<T extends object, K extends keyof T>(owner: T, key: K, wrapper: T[K]): void {
    const original = owner[key];
    if (typeof original === "function" && typeof wrapper === "function") {
      for (const prop of Reflect.ownKeys(original)) {
        if (prop === "length" || prop === "name" || prop === "prototype") continue;
        const descriptor = Object.getOwnPropertyDescriptor(original, prop);
        if (descriptor) Object.defineProperty(wrapper, prop, descriptor);
      }
    }
    assign(owner, key, wrapper);
    this.restores.push(() => {
      if (owner[key] === wrapper) assign(owner, key, original);
    });
  }

  /**
   * Gives `owner` its own `key` (shadowing an inherited one) until restored, when the own
   * property is deleted again (if it still holds `value`) and the inherited one shows through.
   */
  shadow<T extends object, K extends keyof T>(owner: T, key: K, value: T[K]): void {
    if (Object.hasOwn(owner, key)) {
      this.replace(owner, key, value);
      return;
    }
    Object.defineProperty(owner, key, { value, writable: true, configurable: true, enumerable: false });
    this.restores.push(() => {
      if (Object.hasOwn(owner, key) && owner[key] === value) delete owner[key];
    });
  }

  restoreAll(): void {
    this.active = false;
    while (this.restores.length > 0) this.restores.pop()!();
  }
}

/** Sets `owner[key]`, redefining it when it is a read-only but configurable own property (zlib's factories). */
function assign<T extends object, K extends keyof T>(owner: T, key: K, value: T[K]): void {
  const descriptor = Object.getOwnPropertyDescriptor(owner, key);
  if (descriptor && descriptor.writable === false && descriptor.configurable === true) Object.defineProperty(owner, key, { ...descriptor, value });
  else owner[key] = value;
}
