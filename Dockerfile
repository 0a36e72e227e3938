# One image for the kitaru runner and planner (docker-compose.yml picks the
# command). The services run TypeScript through tsx, a runtime dependency, so
# there is no build step; dev dependencies (buf, protoc-gen-es, typescript) are
# left out. The generated code in proto/ts/gen is committed.
FROM node:20-bookworm-slim

ENV NODE_ENV=production \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false

WORKDIR /app

# Dependencies first, so that source changes reuse this layer. better-sqlite3
# (the embedded store) is a native module: npm fetches a prebuilt binary, and
# when none matches it compiles one, for which python3, make and g++ are
# installed for this step only and removed after it.
COPY package.json package-lock.json ./
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && npm ci --omit=dev \
 && npm cache clean --force \
 && apt-get purge -y python3 make g++ && apt-get autoremove -y && rm -rf /var/lib/apt/lists/*

COPY . .

# Run as the image's unprivileged user; tsx writes its cache under /tmp.
USER node

# 50051: runner (kitaru.runner.v1.RunnerService), 50052: planner.
EXPOSE 50051 50052

# Overridden by docker-compose.yml; e.g.
#   docker run kitaru node bin/kitaru.mjs runner --flows examples/replay/flows.ts --host 0.0.0.0
CMD ["node", "bin/kitaru.mjs", "--help"]
