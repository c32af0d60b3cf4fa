// The worker thread of off-thread-bcrypt.ts: compares a secret with a bcrypt hash, one message at a time.
import { parentPort } from "node:worker_threads";
import bcrypt from "bcryptjs";

parentPort?.on("message", ({ id, text, hash }) => {
  let ok = false;
  try {
    ok = bcrypt.compareSync(text, hash);
  } catch {
    ok = false;
  }
  parentPort?.postMessage({ id, ok });
});
