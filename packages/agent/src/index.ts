/**
 * @loopscope/agent — Loopscope's leak tracker for any Node.js ≥ 20 process.
 *
 * Load it first (`node --import @loopscope/agent/register app.js`, or
 * `import "@loopscope/agent/register"` at the top of the entry point), then run each unit
 * of work through `trackWork({ controller, key }, fn)`: resources (timers, sockets,
 * servers, files, child processes, and promises when promise tracking is on) that outlive
 * their unit of work by the grace period are grouped by the source line that created them.
 */
export { type AgentOptions, type LeakGroupView, type RunningAgent, startAgent } from "./agent";
export { trackWork, type WorkUnit } from "./track-work";
