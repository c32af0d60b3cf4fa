import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { type BrowserContext, chromium } from "playwright-core";

/** Debian's Chromium, offline: no downloads, no background networking, fresh profile. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/**
 * `mapHosts` resolves extra names to 127.0.0.1 (e.g. a DNS-rebinding attacker's name); every
 * other name stays unresolvable.
 */
export async function launchBrowser(
  options: { mapHosts?: readonly string[]; viewport?: { width: number; height: number } } = {},
): Promise<BrowserContext> {
  const mapped = (options.mapHosts ?? []).map((name) => `MAP ${name} 127.0.0.1, `).join("");
  const viewport = options.viewport ?? { width: 1366, height: 900 };
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "loopscope-chromium-"));
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    viewport,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      `--host-resolver-rules=${mapped}MAP * ~NOTFOUND, EXCLUDE 127.0.0.1`,
    ],
  });
}

export const SCREENSHOT_DIR = path.resolve("test-results", "screenshots");

export function screenshotPath(name: string): string {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return path.join(SCREENSHOT_DIR, `${name}.png`);
}
