/**
 * Names of the resources the tracker follows. Where Node has a name for the handle
 * (as `process.getActiveResourcesInfo()` prints it) that name is used; `PROMISE` is the
 * async_hooks name; `FileDescriptor` is a raw fd from `fs.open`/`fs.openSync`, which
 * Node does not list at all. The types after it are named by the tracker (their
 * interceptors mark them released, see `interception/released.ts`); `Listener` is an
 * EventEmitter/AbortSignal listener added to an emitter older than the unit of work;
 * `FetchResponse` is a fetch() still waiting for its response, or whose body is unread.
 */
export type TrackedType =
  | "Timeout"
  | "Immediate"
  | "TCPSocketWrap"
  | "PipeWrap"
  | "TLSWrap"
  | "TCPServerWrap"
  | "PipeServerWrap"
  | "ProcessWrap"
  | "FileHandle"
  | "FileDescriptor"
  | "PROMISE"
  | "TimerPromise"
  | "IntervalIterator"
  | "UDPSocket"
  | "FSWatcher"
  | "StatWatcher"
  | "MessagePort"
  | "BroadcastChannel"
  | "Worker"
  | "Listener"
  | "Stream"
  | "FetchResponse";

/** Types that `getActiveResourcesInfo()` never reports, so their live counts come from the tracker. */
export const TRACKER_ONLY_TYPES: readonly TrackedType[] = [
  "FileHandle",
  "FileDescriptor",
  "PROMISE",
  "TimerPromise",
  "IntervalIterator",
  "UDPSocket",
  "FSWatcher",
  "StatWatcher",
  "MessagePort",
  "BroadcastChannel",
  "Worker",
  "Listener",
  "Stream",
  "FetchResponse",
];

/**
 * Resource types that are known false positives of handle-based leak detectors
 * (Jest `--detectOpenHandles`, why-is-node-running): runtime-owned or pooled
 * resources that no reconcile can be blamed for. They are shown in the active-resource
 * counts but never become suspects.
 */
export const BENIGN_TYPES: ReadonlySet<string> = new Set([
  "DNSCHANNEL",
  "GETADDRINFOREQWRAP",
  "GETNAMEINFOREQWRAP",
  "QUERYWRAP",
  "TLSWRAP",
  "RANDOMBYTESREQUEST",
  "PBKDF2REQUEST",
  "SCRYPTREQUEST",
  "HASHREQUEST",
  "CustomGC",
  "ELDHISTOGRAM",
  "PerformanceObserver",
  "TIMERWRAP",
  "TTYWrap",
  "SignalWrap",
  "SIGNALWRAP",
  "STATWATCHER",
  "FSEventWrap",
  "Microtask",
]);

export function isBenignType(type: string): boolean {
  return BENIGN_TYPES.has(type);
}
