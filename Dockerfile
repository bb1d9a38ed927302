# DockSphere server image: every service, the all-in-one launcher and the migration step in one
# image. `docker run -d -p 5000:5000 -v docksphere-data:/data IMAGE` runs the all-in-one;
# `IMAGE serve registry|auth|metadata|hooks` and `IMAGE migrate` run the distributed mode
# (docker-compose.yml, k8s/). Build: `docker build -t docksphere .`
ARG BASE_IMAGE=node:20-bookworm-slim

# ---- build: install with the lockfile, bundle, and cut a production node_modules ----
FROM ${BASE_IMAGE} AS build
WORKDIR /src
RUN npm install --global --no-fund --no-audit pnpm@10.34.8
# The lockfile alone decides what is downloaded, so this layer is reused until it changes.
COPY pnpm-lock.yaml pnpm-workspace.yaml ./
RUN pnpm fetch
COPY . .
RUN pnpm install --offline --frozen-lockfile \
 && node scripts/build.mjs \
 && pnpm --filter @docksphere/all-in-one deploy --prod --legacy /out \
 && rm -rf /out/node_modules/@docksphere /out/node_modules/.bin \
 && find apps/all-in-one/dist services/*/dist -name '*.map' -delete

# ---- runtime: node, production dependencies and the bundles; no sources, no dev tools ----
FROM ${BASE_IMAGE}
ENV NODE_ENV=production \
    DATA_DIR=/data \
    HOST=0.0.0.0 \
    PORT=5000
RUN groupadd --system --gid 10001 docksphere \
 && useradd --system --uid 10001 --gid docksphere --home-dir /data --no-create-home --shell /usr/sbin/nologin docksphere \
 && mkdir -p /data \
 && chown docksphere:docksphere /data
WORKDIR /app
COPY --from=build /out/node_modules ./node_modules
COPY --from=build /src/apps/all-in-one/dist ./apps/all-in-one/dist
COPY --from=build /src/apps/all-in-one/bin ./apps/all-in-one/bin
COPY --from=build /src/services/registry/dist ./services/registry/dist
COPY --from=build /src/services/auth/dist ./services/auth/dist
COPY --from=build /src/services/metadata/dist ./services/metadata/dist
COPY --from=build /src/services/hooks/dist ./services/hooks/dist
# The web console's static export, served by the all-in-one (apps/web/out beside apps/all-in-one).
COPY --from=build /src/apps/web/out ./apps/web/out
RUN ln -s /app/apps/all-in-one/bin/docksphere /usr/local/bin/docksphere
USER 10001:10001
VOLUME ["/data"]
EXPOSE 5000
HEALTHCHECK --interval=15s --timeout=20s --start-period=60s --retries=5 CMD ["docksphere", "healthcheck"]
ENTRYPOINT ["docksphere"]
CMD ["all-in-one"]
