/**
 * The loop of a background service: `run` is called again and again, each call
 * starting `everyMs` after the previous one ended (calls never overlap). A failed call
 * goes to `onError` and the loop goes on. `stop()` cancels the next call and waits
 * for one in progress; `wake()` asks for a call as soon as possible.
 */
export interface RepeatingTaskOptions {
  run: () => Promise<unknown>;
  everyMs: number;
  onError: (error: unknown) => void;
  /** Let the process exit while only this timer is pending. */
  unref?: boolean;
}

export class RepeatingTask {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = true;
  private wakeRequested = false;

  constructor(private readonly options: RepeatingTaskOptions) {}

  /** False once `stop` was called (checked by long runs that should end early). */
  get active(): boolean {
    return !this.stopped;
  }

  start(firstDelayMs = 0): void {
    this.stopped = false;
    this.schedule(firstDelayMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /** Runs at once, or right after the call in progress ends. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.wakeRequested = true;
      return;
    }
    clearTimeout(this.timer);
    this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.options
        .run()
        .catch(this.options.onError)
        .finally(() => {
          this.running = undefined;
          const again = this.wakeRequested;
          this.wakeRequested = false;
          this.schedule(again ? 0 : this.options.everyMs);
        });
    }, delayMs);
    if (this.options.unref) this.timer.unref();
  }
}
