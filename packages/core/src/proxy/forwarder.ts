import { PROXY_SOCKET_NAME } from "./credential-proxy.js";

/** Where a proxy-only container sees the host directory holding the proxy's unix socket. */
export const CONTAINER_PROXY_DIR = "/run/herdctl-proxy";
/** The port on the container's own loopback where the forwarder listens. */
export const CONTAINER_PROXY_PORT = 3128;
export const CONTAINER_PROXY_URL = `http://127.0.0.1:${CONTAINER_PROXY_PORT}`;

/**
 * The container's main process under `network: proxy-only`: socat (from the runtime image) relays
 * each connection to its loopback port to the proxy's unix socket. The container has no network
 * interface but loopback, so this is its only way out. No shell: a fixed argument array.
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
