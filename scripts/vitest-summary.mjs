// Merges the JSON reports of the test lanes into test-results/vitest.json and prints
// the suite's last line: "N passed, N failed" (and ", N skipped" when any were).
import fs from "node:fs";

const [out, ...reports] = process.argv.slice(2);
const COUNTS = ["numTotalTestSuites", "numPassedTestSuites", "numFailedTestSuites", "numPendingTestSuites", "numTotalTests", "numPassedTests", "numFailedTests", "numPendingTests", "numTodoTests"];
const merged = { ...Object.fromEntries(COUNTS.map((k) => [k, 0])), success: true, startTime: Number.POSITIVE_INFINITY, testResults: [] };
for (const file of reports) {
  if (!fs.existsSync(file)) {
    console.log(`no report at ${file}: that lane did not finish`);
    merged.success = false;
    continue;
  }
  const report = JSON.parse(fs.readFileSync(file, "utf8"));
  for (const k of COUNTS) merged[k] += report[k] ?? 0;
  merged.success &&= report.success !== false;
  merged.startTime = Math.min(merged.startTime, report.startTime ?? merged.startTime);
  merged.testResults.push(...(report.testResults ?? []));
}
if (reports.length > 1 || reports[0] !== out) fs.writeFileSync(out, JSON.stringify(merged));
const skipped = merged.numPendingTests + merged.numTodoTests;
console.log(`${merged.numPassedTests} passed, ${merged.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
