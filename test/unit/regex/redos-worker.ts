import { matchesAllLabels } from "../../../app/alerts/label-match";
import { matchesAll } from "../../../server/alerting/matchers";
import { compileMatchers } from "../../../server/query/selector";

/** Runs the hostile matchers of linear-regex.test.ts in a child process, so a backtracking engine cannot hang the run. */
const { pattern, text } = JSON.parse(process.argv[2]) as { pattern: string; text: string };
const started = performance.now();
const query = compileMatchers([{ name: "space", op: "=~", value: pattern }])({ space: text });
const silence = matchesAll([{ name: "space", op: "=~", value: pattern }], { space: text });
// The silence form's preview in the browser.
const preview = matchesAllLabels([{ name: "space", op: "=~", value: pattern }], { space: text });
process.stdout.write(JSON.stringify({ query, silence, preview, ms: performance.now() - started }));
