# The Portico image: one image for every Portico process of docker-compose.yml (controller, extauth,
# ratelimit, echo and the one-shot `portico bootstrap`). `docker build .` builds it (the last stage).
#
# Node 24 runs the TypeScript sources directly (type stripping), so there is no build step: TypeScript and
# @types/node are dev dependencies, needed only to typecheck, and `npm ci --omit=dev` leaves them out. Every
# package src/ imports at run time is a production dependency (test/cli/compose.test.ts checks it).
#
# Tags are pinned to scripts/versions.env (NODE_VERSION, OPENBAO_VERSION); the compose test checks that too.

FROM node:24.21.0-bookworm-slim AS runtime
WORKDIR /opt/portico
# bin/portico looks for Node in Portico's cache first; in the image the one on PATH is the only one.
ENV PORTICO_NODE=/usr/local/bin/node \
    PATH=/opt/portico/bin:$PATH
# Dependencies first, so editing src/ does not reinstall them.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY bin/ bin/
COPY src/ src/
# Mount points of docker-compose.yml's named volumes. An empty named volume takes the ownership of the
# directory it is mounted on, so the non-root user below can write into them.
RUN mkdir -p /var/lib/portico/bootstrap /var/lib/portico/vault && chown -R node:node /var/lib/portico
# The official image's unprivileged user (uid 1000). Nothing Portico runs needs root.
USER node
ENTRYPOINT ["/opt/portico/bin/portico"]
CMD ["--help"]

# The one-shot that prepares the dev OpenBao for the controller: vault/setup.sh (bash) with the `bao` CLI of
# the pinned OpenBao image. The OpenBao image itself has no bash; its `bao` is a static Go binary
# (CGO_ENABLED=0), at /bin/bao in 2.4.0 (later releases moved it to /usr/bin/bao).
FROM runtime AS vault-setup
COPY --from=openbao/openbao:2.4.0 /bin/bao /usr/local/bin/bao
COPY vault/ vault/
ENTRYPOINT ["/opt/portico/vault/setup.sh"]
CMD ["/var/lib/portico/vault"]

# The default target (the last stage): the Portico image without the OpenBao CLI.
FROM runtime AS portico
