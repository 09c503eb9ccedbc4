# syntax=docker/dockerfile:1
# One image for `serve`, `worker` and `sandbox`, in two stages: the build stage has the compilers (better-sqlite3
# builds from source) and the dev dependencies and compiles the TypeScript; the runtime stage gets only the
# compiled JavaScript and the production dependencies, and runs as the unprivileged `node` user.

FROM node:22-bookworm-slim AS build
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:22-bookworm-slim AS runtime
ENV NODE_ENV=production DATA_DIR=/data HOST=0.0.0.0 PORT=3000 WORKER_PORT=3001
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY prompts ./prompts
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000 3001
# /healthz of `serve` on PORT, of `worker` on WORKER_PORT (the script reads which command PID 1 runs).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 CMD ["node", "dist/healthcheck.js"]
# `docker stop` sends SIGTERM: the process finishes or hands back its work within SHUTDOWN_GRACE_MS (8 s).
STOPSIGNAL SIGTERM
# V8 flags for the API process (src/runtime/api-node-flags.ts says why and what they measured): a 16 MB young
# generation and a roomier old one, so acknowledgements meet fewer GC pauses. Given here, on node's command line, so
# `serve` runs in this one process (the bin restarts a `serve` started without them: bin/node-flags.js).
ENTRYPOINT ["node", "--min-semi-space-size=16", "--heap-growing-percent=100", "dist/main.js"]
CMD ["serve"]
