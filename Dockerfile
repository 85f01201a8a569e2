# salesflow's worker, dashboard and CLI for docker-compose.yml (and any container platform). The services it
# talks to are configured by the environment (README "Configuration" and "Running on clusters").
FROM node:24-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
# npm install, not npm ci, as in .ci/run: the lock file cannot list every platform's optional packages (an arm64
# host builds an arm64 image). --ignore-scripts: `prepare` builds, and the sources are not copied yet; the build
# runs below.
RUN npm install --no-audit --no-fund --ignore-scripts
COPY . .
RUN npm run build && npm prune --omit=dev --no-audit --no-fund
# Run as node, not root: the process needs no privilege.
USER node
ENV NODE_ENV=production
CMD ["node", "bin/salesflow.js", "worker"]
