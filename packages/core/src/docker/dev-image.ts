/** What the dev profile adds to the base image, all from Debian packages of the base's suite. */
export const DEV_PACKAGES = [
  "nodejs",
  "npm",
  "python3",
  "python3-pip",
  "python3-venv",
  "curl",
  "jq",
  "ripgrep",
  "build-essential",
] as const;

/**
 * Kept byte-identical to docker/Dockerfile.dev (a test checks). It builds FROM the base image, so
 * the two share its layer and the dev build only downloads the packages it adds. dpkg skips
 * documentation (keeping copyright files) and fsyncs: neither helps an agent container.
 */
export const DEV_DOCKERFILE = `# herdctl development image: the runtime image plus Node.js with npm, Python 3 with pip and venv,
# curl, jq, ripgrep and build-essential, all Debian packages of the base image's suite.
# Build it with "herdctl docker build --profile dev" (add --offline when there is no registry).
ARG BASE=herdctl/runtime:latest
FROM \${BASE}
USER root
RUN printf '%s\\n' force-unsafe-io > /etc/dpkg/dpkg.cfg.d/herdctl-unsafe-io \\
 && printf '%s\\n' 'path-exclude=/usr/share/doc/*' 'path-include=/usr/share/doc/*/copyright' \\
      'path-exclude=/usr/share/man/*' 'path-exclude=/usr/share/info/*' > /etc/dpkg/dpkg.cfg.d/herdctl-nodoc \\
 && apt-get update \\
 && DEBIAN_FRONTEND=noninteractive apt-get install --yes --no-install-recommends \\
      ${DEV_PACKAGES.join(" ")} \\
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb /etc/dpkg/dpkg.cfg.d/herdctl-unsafe-io \\
 && node --version && npm --version && python3 --version
USER herdctl
`;
