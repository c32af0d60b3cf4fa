# syntax=docker/dockerfile:1
# Loopscope container image: multi-stage, non-root, Next.js standalone output.
#
#   docker build -t loopscope:0.1.0 .
#
# Loopscope runs a custom Node server (server/main.ts: Next request handler + the
# controller loop, recorder, alerting …) written in TypeScript and run with tsx, not
# Next's generated standalone server.js. So the runtime stage takes the traced server
# build from .next/standalone/.next (no build cache, no dev artefacts), the static
# assets, the server sources and migrations, and the production node_modules (tsx,
# next, pg, @kubernetes/client-node, …: the tsx server graph needs packages Next's
# file tracing does not see).
ARG NODE_IMAGE=node:22-bookworm-slim

# Production dependencies only. Install scripts are skipped: the Prisma client is
# generated in the build stage, and the embedded PostgreSQL is not used in a cluster.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV NEXT_TELEMETRY_DISABLED=1 CHECKPOINT_DISABLE=1
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
# postinstall = prisma generate (server/store/generated), then the production build.
RUN npm run postinstall && npx next build

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    NEXT_TELEMETRY_DISABLED=1 \
    CHECKPOINT_DISABLE=1 \
    HOST=0.0.0.0 \
    PORT=3000 \
    LOOPSCOPE_SKIP_BUILD=true \
    LOOPSCOPE_DATA_DIR=/tmp/loopscope
WORKDIR /app
RUN groupadd --system --gid 10001 loopscope \
 && useradd --system --uid 10001 --gid 10001 --home-dir /tmp --no-create-home --shell /usr/sbin/nologin loopscope
# Everything is owned by root and read-only for the app user; it writes only to /tmp
# (tsx's compile cache, the data folder) and .next/cache (mount emptyDirs there when the
# root filesystem is read-only, as deploy/deployment.yaml does).
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/package.json /app/tsconfig.json /app/next.config.ts ./
COPY --from=build /app/.next/standalone/.next ./.next
COPY --from=build /app/.next/static ./.next/static
COPY --from=build /app/server ./server
# The server graph imports a few shared modules from components/ (e.g. the theme script hashed into the CSP).
COPY --from=build /app/components ./components
COPY --from=build /app/prisma ./prisma
COPY --from=build /app/scripts/start.ts ./scripts/start.ts
RUN mkdir -p .next/cache && chown 10001:10001 .next/cache
USER 10001:10001
EXPOSE 3000
STOPSIGNAL SIGTERM
CMD ["node", "--import", "tsx", "scripts/start.ts"]
