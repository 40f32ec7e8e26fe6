# herdctl daemon image: `herdctl start` itself in a container, for running a fleet on a server.
# Built by scripts/build-daemon-image.mjs, offline, the way the runtime image is: on the
# dependencies image (docker/daemon-deps.Dockerfile: the runtime image, a debootstrap root
# filesystem plus claude from `herdctl docker build --offline`, with node and the release's
# registry packages), adding the release's own packages unpacked from their tarballs. The build
# needs no registry and no network (the script builds with --network none).
# See docs/operating.md, "Running on a server".
ARG DEPS
FROM ${DEPS}
USER root
# herdctl's packages and the release's package.json and lock, beside the dependencies.
COPY herdctl /opt/herdctl
COPY --chown=1000:1000 fleet /fleet
RUN ln -s /opt/herdctl/node_modules/herdctl/bin/herdctl.cjs /usr/local/bin/herdctl \
 && herdctl --version
# The fleet: herdctl.yaml, agents, .env, and the state directory (.herdctl) herdctl keeps beside them.
VOLUME /fleet
WORKDIR /fleet
# The dashboard and API (web.port); published with -p, or reached directly with --network host.
EXPOSE 3232
# Not root: uid 1000, the runtime image's herdctl user. Give it the Docker socket's group to run
# agents in containers (docs/security.md says what that socket grants).
USER herdctl
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.HERDCTL_HEALTH_PORT || 3232}/api/health`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["herdctl"]
CMD ["start", "--web", "--web-host", "0.0.0.0"]
