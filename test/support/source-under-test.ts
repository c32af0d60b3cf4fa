import { KubernetesSource, type KubernetesSourceOptions } from "../../server/runtime/kubernetes/kubernetes-source";
import type { ObjectEvent } from "../../server/runtime/source";

/** A KubernetesSource started by a test, with every event it delivered (cleared by `stop`). */
export class SourceUnderTest {
  source: KubernetesSource | undefined;
  readonly events: ObjectEvent[] = [];

  /** Starts the source and waits until every watch has listed. */
  async start(options: KubernetesSourceOptions, syncTimeoutMs = 10_000): Promise<KubernetesSource> {
    this.source = new KubernetesSource(options);
    await this.source.start((event) => this.events.push(event));
    await this.source.waitForSync(AbortSignal.timeout(syncTimeoutMs));
    return this.source;
  }

  /** A check for waitUntil: has an event of this type, controller and key arrived? */
  readonly seen =
    (type: ObjectEvent["type"], controller: string, key: string) =>
    (): boolean =>
      this.events.some((e) => e.type === type && e.controller === controller && e.key === key);

  /** The health of the source's watch of `kind`. */
  readonly health = (kind: string) => {
    const found = this.source?.watches().find((w) => w.kind === kind);
    if (!found) throw new Error(`no watch for ${kind}`);
    return found;
  };

  async stop(): Promise<void> {
    await this.source?.stop();
    this.source = undefined;
    this.events.length = 0;
  }
}
