/**
 * Credentials for LOOPSCOPE_AUTH=password, printed to stdout (nothing is stored):
 *   npm run -s auth -- hash-password     (reads the password from stdin)
 *   npm run -s auth -- token <name> <viewer|editor>
 */
import { readFileSync } from "node:fs";
import bcrypt from "bcryptjs";
import { mintApiToken } from "./api-tokens";
import { isRole } from "./principal";

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

const [command, ...args] = process.argv.slice(2);
if (command === "hash-password") {
  const password = readFileSync(0, "utf8").replace(/\r?\n$/, "");
  if (password.length < 8) fail("The password must have at least 8 characters.");
  console.log(`LOOPSCOPE_ADMIN_PASSWORD_HASH='${bcrypt.hashSync(password, 12)}'`);
} else if (command === "token") {
  const [name, role] = args;
  if (!name || !role || !isRole(role)) fail("usage: cli.ts token <name> <viewer|editor>");
  const { token, entry } = mintApiToken(name, role);
  console.log(`token (give it to the client; shown once): ${token}`);
  console.log(`add to LOOPSCOPE_API_TOKENS (comma separated): ${entry}`);
} else {
  fail("usage: cli.ts hash-password < password-file | cli.ts token <name> <viewer|editor>");
}
