# syntax=docker/dockerfile:1
# The service's image (the last stage, the default target): the API (default command) and the
# worker; the command picks which (see docker-compose.yml). It runs the compiled JavaScript with
# plain node, and holds neither the DocSpace simulator nor the demo.
# The simulator has an image of its own (target `simulator`), for compose's demo profile only.

# The base image is pinned by digest: a tag can be moved to other content, a digest cannot. This is
# the multi-platform index of node:22-bookworm-slim (Node 22.23.2, built 19 Sep 2026) as recorded by
# Docker's official-images team in github.com/docker-library/repo-info,
# repos/node/remote/22-bookworm-slim.md (commit 3179cb4d576b9929bf86873c87f279ac67661c6e); it was
# not pulled here (no Docker engine on the project's machines). To move to a newer build (Node and
# Debian security fixes), take the first digest of that file, or run
#   docker buildx imagetools inspect node:22-bookworm-slim
# and replace every FROM line; docs/security.md says when.

# The service's build: install everything and compile src/ and workers/ (tsconfig.json: rootDir
# ".", outDir "dist").
FROM node:22-bookworm-slim@sha256:48e4b67d85f87bd551df43704e24d252f56cc5f8e9718841aace50f19948f0f9 AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY workers ./workers
RUN npm run build

# The DocSpace simulator, compiled on its own (docspace-sim/tsconfig.json): it shares no code with
# the service and needs no package at run time, only node.
FROM node:22-bookworm-slim@sha256:48e4b67d85f87bd551df43704e24d252f56cc5f8e9718841aace50f19948f0f9 AS simulator-build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY docspace-sim ./docspace-sim
RUN npm run build:sim

# The simulator's image: `docker build --target simulator` (compose builds it for --profile demo).
FROM node:22-bookworm-slim@sha256:48e4b67d85f87bd551df43704e24d252f56cc5f8e9718841aace50f19948f0f9 AS simulator
ENV NODE_ENV=production
ENV NODE_OPTIONS=--enable-source-maps
WORKDIR /app
COPY package.json ./
COPY --from=simulator-build /app/dist/docspace-sim ./dist/docspace-sim
USER node
EXPOSE 8090
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.DOCSPACE_SIM_PORT || 8090) + '/sim/state', { signal: AbortSignal.timeout(4000) }).then((res) => process.exit(res.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/docspace-sim/main.js"]

# The service: production dependencies and the compiled output of src/ and workers/ only.
FROM node:22-bookworm-slim@sha256:48e4b67d85f87bd551df43704e24d252f56cc5f8e9718841aace50f19948f0f9 AS runtime
ENV NODE_ENV=production
# Stack traces point at the TypeScript lines (tsc writes source maps next to the JavaScript).
ENV NODE_OPTIONS=--enable-source-maps
WORKDIR /app
# package.json is needed at run time too: its "type": "module" makes node load dist/**/*.js as ESM.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
# Owned by root and only readable by the service user: the process cannot rewrite its own code.
COPY --from=build /app/dist ./dist
# The pre-script of npm start and npm run replay: without TypeScript it does nothing, so
# `docker compose exec worker npm run replay -- --failed` runs the compiled CLI.
COPY scripts/prebuild.js ./scripts/prebuild.js
USER node
EXPOSE 3000
# GET /healthz answers 200 while the API process runs. Slim images have no curl, so node asks.
# Only the API listens: compose replaces this check for the worker.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz', { signal: AbortSignal.timeout(4000) }).then((res) => process.exit(res.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/src/main.js"]
