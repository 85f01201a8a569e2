# salesflow's worker, dashboard and CLI for docker-compose.yml (and any container platform). The services it
# talks to are configured by the environment (README "Configuration" and "Running on clusters").
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` builds, and the sources are not copied yet; the build runs below.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY . .
RUN npm run build && npm prune --omit=dev --no-audit --no-fund
# Run as node, not root: the process needs no privilege.
USER node
ENV NODE_ENV=production
CMD ["node", "bin/salesflow.js", "worker"]
