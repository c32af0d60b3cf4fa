/**
 * First-load JavaScript per dashboard page (gzip), measured in Chromium against a
 * running Loopscope: every script the page loads before it is idle, gzipped as a
 * server would send it. Usage: node --import tsx bench/page-weight.ts [baseUrl]
 */
import { gzipSync } from "node:zlib";
import { launchBrowser } from "../test/support/browser";

const base = process.argv[2] ?? "http://127.0.0.1:3000";
const pages = ["/", "/controllers/pods", "/leaks", "/alerts", "/targets"];
const browser = await launchBrowser();
const results: Record<string, number> = {};
try {
  for (const path of pages) {
    const page = await browser.newPage();
    const scripts = new Map<string, Buffer>();
    page.on("response", async (response) => {
      if (response.request().resourceType() !== "script") return;
      const body = await response.body().catch(() => undefined);
      if (body) scripts.set(response.url(), body);
    });
    const t0 = performance.now();
    await page.goto(base + path, { waitUntil: "networkidle" });
    const ms = performance.now() - t0;
    const raw = [...scripts.values()].reduce((n, b) => n + b.length, 0);
    const gzip = [...scripts.values()].reduce((n, b) => n + gzipSync(b).length, 0);
    results[path] = Math.round(gzip / 1024);
    console.log(`${path.padEnd(20)} ${scripts.size} scripts, ${(raw / 1024).toFixed(0)} kB raw, ${(gzip / 1024).toFixed(0)} kB gzip, network idle in ${ms.toFixed(0)} ms`);
    await page.close();
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify({ first_load_js_gzip_kb: results, overview_target_kb: 250 }));
