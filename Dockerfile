# syntax=docker/dockerfile:1
# s3-vpce-guard: one image for the CLI (check, rules, cert) and the in-cluster server
# (serve: admission webhook + reconciler). Build: docker build -t s3-vpce-guard .

# ---- build: compile TypeScript with the dev dependencies --------------------------------
FROM node:24-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# tsc's output only: the image runs dist/src/cli/main.js, not the package bin's bundle.
RUN npm run build:tsc

# ---- production dependencies only (no compiler, no test tools) --------------------------
FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts && npm cache clean --force

# ---- runtime: Node 24 slim, without npm, as a non-root user ------------------------------
FROM node:24-slim AS runtime
# Nothing installs packages at run time: drop the package managers.
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
      /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack
WORKDIR /app
ENV NODE_ENV=production
# package.json: the version the binary reports (src/platform/version.ts reads it).
COPY --from=deps /app/package.json ./package.json
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist/src ./dist/src
# Files stay root-owned (read-only for the app). uid 65532: the "nonroot" convention, not the
# image's uid-1000 "node" user. The Helm chart sets the same uid, runAsNonRoot and a
# read-only root filesystem (/tmp is an emptyDir).
USER 65532:65532
EXPOSE 8443 9090
# The image runs `serve` and `reconcile`: 8 MiB semi-spaces answered reviews with 15 % less
# CPU than 4 MiB (bench/webhook-load.mjs, README "Benchmarks"), for at most 12 MiB more young
# generation. The package bin keeps 4 MiB for `check`, whose peak memory it bounds (src/cli/main.ts).
# In NODE_OPTIONS, not on the command line (which would override it), so that the chart's
# semiSpaceMiB can set it.
ENV NODE_OPTIONS="--max-semi-space-size=8"
ENTRYPOINT ["node", "/app/dist/src/cli/main.js"]
CMD ["--help"]
