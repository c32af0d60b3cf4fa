/**
 * Runs the corpus in a process of its own and prints the CorpusResult as the last line
 * (JSON), for runs that stand in for the process's full collections (`collectEveryMs`
 * needs `node --expose-gc`, which the test runner's own workers do not have):
 *
 *   node --expose-gc --import tsx test/leak-corpus/cli.ts '{"graceMs":300,...}'
 */
import type { CorpusRunOptions } from "./run-corpus";

process.env.LOOPSCOPE_LOG_LEVEL ??= "warn";
const { runCorpus } = await import("./run-corpus");
const options = JSON.parse(process.argv[2] ?? "{}") as CorpusRunOptions;
const result = await runCorpus(options);
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
