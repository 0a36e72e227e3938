# One image for the kitaru runner, planner and console (docker-compose.yml picks the
# command), built the way a user installs kitaru: the npm package this
# repository packs, installed with zod into /app, next to the flows it serves
# (here the replay example's; see docs/your-project.md to serve your own).

# --- 1. the package: `npm pack` compiles the TypeScript into dist/ ----------
FROM node:20-bookworm-slim AS package
WORKDIR /src
# better-sqlite3 (the embedded store) is a native module: npm fetches a
# prebuilt binary, and compiles one when none matches this platform.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN mkdir /package && npm pack --pack-destination /package

# --- 2. the runtime: the package and zod, installed as in a user's project ---
FROM node:20-bookworm-slim

ENV NODE_ENV=production \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false

WORKDIR /app

COPY --from=package /package/ /tmp/package/
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && echo '{"name":"kitaru-app","private":true,"type":"module"}' > package.json \
 && npm install --omit=dev /tmp/package/kitaru-*.tgz "zod@^4" \
 && npm cache clean --force && rm -rf /tmp/package \
 && apt-get purge -y python3 make g++ && apt-get autoremove -y && rm -rf /var/lib/apt/lists/*

# The flows the image serves: the replay example's (import "kitaru" and "zod" from /app/node_modules).
COPY examples/replay/ ./examples/replay/

# Run as the image's unprivileged user; tsx (which loads TypeScript flows) writes its cache under /tmp.
USER node

# 50051: runner (kitaru.runner.v1.RunnerService), 50052: planner, 50053: console (HTTP).
EXPOSE 50051 50052 50053

# Overridden by docker-compose.yml; e.g.
#   docker run kitaru node node_modules/kitaru/bin/kitaru.mjs runner --flows examples/replay/flows.ts --host 0.0.0.0
CMD ["node", "node_modules/kitaru/bin/kitaru.mjs", "--help"]
