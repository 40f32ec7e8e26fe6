/**
 * What every herdctl runtime image provides, whichever way it was built. The container manager
 * relies on these paths, so the Dockerfile and the offline build both derive from them.
 */
export const DEFAULT_IMAGE = "herdctl/runtime:latest";
export const IMAGE_USER = "herdctl";
export const IMAGE_UID = 1000;
export const IMAGE_GID = 1000;
export const IMAGE_HOME = "/home/herdctl";
export const CONTAINER_WORKSPACE = "/workspace";
/** The host's .herdctl/docker-sessions/<agent> is mounted here, so transcripts land on the host. */
export const CONTAINER_CLAUDE_DIR = `${IMAGE_HOME}/.claude`;
/** The agent's plugin folders are mounted read-only under here, one numbered folder each. */
export const CONTAINER_PLUGINS_DIR = "/opt/herdctl/plugins";
export const IMAGE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/** Bump when either build recipe changes, so cached images are rebuilt. */
export const IMAGE_RECIPE_VERSION = 3;
export const IMAGE_HASH_LABEL = "herdctl.image-hash";

/** Kept byte-identical to docker/Dockerfile (a test checks), so users and `herdctl docker build` agree. */
export const RUNTIME_DOCKERFILE = `# herdctl runtime image: a non-root user, git, CA certificates and the native claude binary.
# Build it with "herdctl docker build" (or "herdctl docker build --offline" without a registry).
FROM node:22-trixie-slim AS claude
ARG CLAUDE_VERSION=latest
RUN npm install --global "@anthropic-ai/claude-code@\${CLAUDE_VERSION}" \\
 && cp "$(npm root --global)/@anthropic-ai/claude-code/bin/claude.exe" /claude \\
 && /claude --version

FROM debian:trixie-slim
RUN apt-get update \\
 && apt-get install --yes --no-install-recommends git ca-certificates socat \\
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --gid ${IMAGE_GID} ${IMAGE_USER} \\
 && useradd --uid ${IMAGE_UID} --gid ${IMAGE_GID} --create-home --home-dir ${IMAGE_HOME} --shell /bin/sh ${IMAGE_USER} \\
 && mkdir -p ${CONTAINER_WORKSPACE} ${CONTAINER_CLAUDE_DIR} \\
 && chown ${IMAGE_UID}:${IMAGE_GID} ${CONTAINER_WORKSPACE} ${CONTAINER_CLAUDE_DIR}
COPY --from=claude /claude /usr/local/bin/claude
USER ${IMAGE_USER}
ENV HOME=${IMAGE_HOME} LANG=C.UTF-8 PATH=${IMAGE_PATH}
WORKDIR ${CONTAINER_WORKSPACE}
CMD ["sleep", "infinity"]
`;

/** A one-file ustar archive: the build context for `docker build`, without a tar dependency. */
export function singleFileTar(name: string, content: Buffer, mode = 0o644): Buffer {
  const header = Buffer.alloc(512);
  const put = (text: string, offset: number, length: number) => header.write(text, offset, length, "ascii");
  const octal = (value: number, length: number) => value.toString(8).padStart(length - 1, "0");
  put(name, 0, 100);
  put(octal(mode, 8), 100, 8);
  put(octal(0, 8), 108, 8);
  put(octal(0, 8), 116, 8);
  put(octal(content.length, 12), 124, 12);
  put(octal(Math.floor(Date.now() / 1000), 12), 136, 12);
  put("        ", 148, 8);
  put("0", 156, 1);
  put("ustar\u000000", 257, 8);
  let sum = 0;
  for (const byte of header) sum += byte;
  put(`${octal(sum, 7)}\u0000`, 148, 8);
  const padding = Buffer.alloc((512 - (content.length % 512)) % 512);
  return Buffer.concat([header, content, padding, Buffer.alloc(1024)]);
}
