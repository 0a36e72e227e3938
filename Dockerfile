# One image for the kitaru runner and planner (docker-compose.yml picks the
# command). The services run TypeScript through tsx, a runtime dependency, so
# there is no build step; dev dependencies (buf, protoc-gen-es, typescript) are
# left out. The generated code in clients/ts/gen is committed.
FROM node:20-bookworm-slim

ENV NODE_ENV=production \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false

WORKDIR /app

# Dependencies first, so that source changes reuse this layer.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

COPY . .

# Run as the image's unprivileged user; tsx writes its cache under /tmp.
USER node

# 50051: runner (kitaru.runner.v1.RunnerService), 50052: planner.
EXPOSE 50051 50052

# Overridden by docker-compose.yml; e.g.
#   docker run kitaru node bin/kitaru.mjs runner --flows examples/replay/flows.ts --host 0.0.0.0
CMD ["node", "bin/kitaru.mjs", "--help"]
