/**
 * `node --import @loopscope/agent/register app.js`: source maps on (so creation stacks
 * name the original file:line:column of code compiled with source maps), then the agent,
 * configured from the environment:
 * - LOOPSCOPE_AGENT_PORT: serve /metrics, /leaks and /debug/pprof/ on this port (unset: serve nothing; 0: any free port);
 * - LOOPSCOPE_AGENT_HOST: address to listen on (default 127.0.0.1);
 * - LOOPSCOPE_AGENT_GRACE_MS, LOOPSCOPE_AGENT_SAMPLE_MS, LOOPSCOPE_AGENT_STACK_RATE;
 * - LOOPSCOPE_AGENT_PROMISES=1: track promises too.
 */
import { startAgent } from "./agent";

process.setSourceMapsEnabled(true);

function numberFrom(name: string): number | undefined {
  const text = process.env[name];
  if (text === undefined || text === "") return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number, not ${JSON.stringify(text)}`);
  return value;
}

process.env.LOOPSCOPE_LOG_LEVEL ??= "warn";
const agent = await startAgent({
  port: numberFrom("LOOPSCOPE_AGENT_PORT"),
  host: process.env.LOOPSCOPE_AGENT_HOST || undefined,
  graceMs: numberFrom("LOOPSCOPE_AGENT_GRACE_MS"),
  sampleIntervalMs: numberFrom("LOOPSCOPE_AGENT_SAMPLE_MS"),
  stackSampleRate: numberFrom("LOOPSCOPE_AGENT_STACK_RATE"),
  promiseTracking: process.env.LOOPSCOPE_AGENT_PROMISES === "1",
});
if (agent.url) process.stderr.write(`loopscope agent: ${agent.url}/metrics\n`);
