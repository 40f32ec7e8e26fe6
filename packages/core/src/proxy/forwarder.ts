import { PROXY_SOCKET_NAME } from "./credential-proxy.js";

/** Where a container sees the host directory holding the proxy's unix socket. */
export const CONTAINER_PROXY_DIR = "/run/herdctl-proxy";
/** The port on the container's own loopback where the forwarder listens. */
export const CONTAINER_PROXY_PORT = 3128;
export const CONTAINER_PROXY_URL = `http://127.0.0.1:${CONTAINER_PROXY_PORT}`;

/**
 * Whether a container reaches the credential proxy through its mounted unix socket and the
 * forwarder. A host-network container shares the host's loopback and talks to the proxy's TCP
 * port instead; every other network with proxied credentials uses the socket, which needs no route
 * between the container and the host at all.
 */
export function reachesProxyBySocket(config: { credentials: string; network: string }): boolean {
  return config.credentials === "proxy" && config.network !== "host";
}

/**
 * The container's main process when it reaches the proxy by socket: socat (from the runtime
 * image) relays each connection to its loopback port to the proxy's unix socket. Under
 * `network: proxy-only` the container has no interface but loopback, so this is its only way
 * out. No shell: a fixed argument array.
 */
export function forwarderCommand(): string[] {
  return [
    "socat",
    `TCP-LISTEN:${CONTAINER_PROXY_PORT},bind=127.0.0.1,fork,reuseaddr`,
    `UNIX-CONNECT:${CONTAINER_PROXY_DIR}/${PROXY_SOCKET_NAME}`,
  ];
}

/**
 * The proxy settings a proxy-only container's tools read (curl, git, npm, pip, Node's and most
 * HTTP clients): every other destination goes through the forwarder to herdctl's egress proxy,
 * which checks the job's token (in the URL's userinfo, sent as Proxy-Authorization) and the
 * allowlist. Loopback is excluded so claude's own API requests reach the forwarder directly.
 */
export function egressProxyEnv(token: string): Record<string, string> {
  const url = `http://herdctl:${token}@127.0.0.1:${CONTAINER_PROXY_PORT}`;
  const noProxy = "127.0.0.1,localhost,::1";
  return {
    HTTPS_PROXY: url,
    HTTP_PROXY: url,
    https_proxy: url,
    http_proxy: url,
    NO_PROXY: noProxy,
    no_proxy: noProxy,
  };
}
