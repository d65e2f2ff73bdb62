# Image of the hrv-stack receiver. docker-compose.yml builds it and also runs it once as the
# secrets-init service, which calls docker/generate-secrets.sh.

ARG NODE_IMAGE=node:20.20.2-bookworm-slim

# Compiles the TypeScript sources to dist/. The dev dependencies (tsc) stay in this stage.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts skips the `prepare` build, which would run before the sources are copied.
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY receiver ./receiver
COPY terra ./terra
COPY hrv-model ./hrv-model
COPY influx ./influx
COPY cli ./cli
# dashboard-lite: its server compiles with the rest, its page with its own tsconfig (DOM library).
COPY dashboard-lite ./dashboard-lite
RUN npm run build

# Installs the runtime dependencies only.
FROM ${NODE_IMAGE} AS production-dependencies
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=8080 \
    HOST=0.0.0.0 \
    SPOOL_DIR=/var/lib/hrv-stack/spool
WORKDIR /app

# The spool directory belongs to `node` (uid 1000) so that an empty named volume mounted there
# takes over that owner on its first mount. The container itself may run with a read-only root.
RUN mkdir -p /var/lib/hrv-stack/spool /run/hrv-secrets \
    && chown node:node /var/lib/hrv-stack/spool \
    && chmod 0700 /var/lib/hrv-stack/spool
# Where dashboard-lite keeps the password it generates, owned by `node` for the same reason.
RUN mkdir -p /var/lib/hrv-stack/dashboard-lite \
    && chown node:node /var/lib/hrv-stack/dashboard-lite \
    && chmod 0700 /var/lib/hrv-stack/dashboard-lite

COPY --from=production-dependencies /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY docker/generate-secrets.sh ./docker/generate-secrets.sh

USER node
# 8080: the receiver; 8081: `hrv-stack dashboard-lite`, which runs from the same image.
EXPOSE 8080 8081

# Slim images have no curl, so the check uses Node's own fetch. It exits 0 only on a 2xx answer.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz', { signal: AbortSignal.timeout(4000) }).then((response) => process.exit(response.ok ? 0 : 1), () => process.exit(1))"]

# `npm start` is not used because its `prestart` hook rebuilds, which needs the dev dependencies.
CMD ["node", "dist/cli/hrv-stack.js", "receiver"]
