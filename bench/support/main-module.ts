import { pathToFileURL } from "node:url";

/**
 * When the module at `moduleUrl` is the script node was started with, runs the bench and
 * prints its figures as the last line (one JSON object), exiting 0, or the error, exiting 1.
 * Benches that others compose (`bench:scale`) export `run()` and end with this.
 */
export function printWhenMain(moduleUrl: string, run: () => Promise<unknown>): void {
  if (moduleUrl !== pathToFileURL(process.argv[1] ?? "").href) return;
  run()
    .then((figures) => {
      console.log(JSON.stringify(figures));
      process.exit(0);
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
