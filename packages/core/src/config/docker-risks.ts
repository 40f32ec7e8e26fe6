import { posix } from "node:path";
import { parsePortSpec } from "../runner/runtime/docker-config-fields.js";
import type { ConfigIssue } from "./errors.js";
import { getChild, issueAt, type Segment, type SNode, toPlain } from "./source.js";

/**
 * Docker settings that widen what a container can reach on the host. Each is allowed (an operator
 * may need it) but never silent: the warning names the key and what it grants, at the line that
 * wrote it, every time the config is validated, started or reloaded.
 */
interface Risk {
  path: Segment[];
  grants: string;
  /** What to do instead; by default, remove the setting. */
  fix?: string;
}

const REMOVE = "remove it unless the agent needs it";
const SOCKET = "gives the container root on the host through the Docker socket";

// Exact paths: mounting a folder below /home or /root (a project) is ordinary.
const EXACT: Record<string, string> = {
  "/": "exposes the host's whole filesystem to the container",
  "/home": "exposes every user's home (SSH keys, credentials) to the container",
  "/root": "exposes root's home (SSH keys, credentials) to the container",
  "/run": `exposes the host's runtime sockets; the Docker socket among them ${SOCKET}`,
  "/var/run": `exposes the host's runtime sockets; the Docker socket among them ${SOCKET}`,
};
// Prefixes: nothing below these is safe to hand to an agent.
const UNDER: Record<string, string> = {
  "/etc": "exposes the host's system configuration (accounts, sudoers, service secrets) to the container",
  "/proc": "exposes the host's processes and kernel settings to the container",
  "/sys": "exposes the host's kernel and device settings to the container",
  "/dev": "exposes the host's devices to the container",
  "/boot": "exposes the host's kernel and boot loader to the container",
};

/** What mounting this host path grants, or undefined for an ordinary folder. */
export function hostPathGrant(hostPath: string): string | undefined {
  if (!hostPath.startsWith("/")) return undefined;
  const path = posix.normalize(hostPath).replace(/(.)\/+$/, "$1");
  if (/\/(docker|containerd|podman)\.sock$/.test(path)) return SOCKET;
  if (EXACT[path]) return EXACT[path];
  for (const [dir, grant] of Object.entries(UNDER)) {
    if (path === dir || path.startsWith(`${dir}/`)) return grant;
  }
  return undefined;
}

const NAMESPACES: Record<string, string> = {
  NetworkMode:
    "shares the host's network: the container reaches every service on the host, 127.0.0.1 included",
  PidMode: "shares the host's process namespace: the container sees and can signal every host process",
  IpcMode: "shares the host's IPC namespace: the container reads other processes' shared memory",
  UTSMode: "shares the host's UTS namespace: the container can change the host's hostname",
  UsernsMode: "turns off user-namespace remapping: root in the container is root on the host",
  CgroupnsMode: "shares the host's cgroup namespace: the container sees the host's cgroup tree",
};

function hostConfigRisks(hc: Record<string, unknown>): Risk[] {
  const risks: Risk[] = [];
  const at = (...path: Segment[]) => ["docker", "host_config", ...path];
  if (hc.Privileged === true)
    risks.push({ path: at("Privileged"), grants: "true gives the container full control of the host" });
  if (Array.isArray(hc.CapAdd) && hc.CapAdd.length > 0)
    risks.push({
      path: at("CapAdd"),
      grants: `${hc.CapAdd.join(", ")} adds Linux capabilities that herdctl drops`,
    });
  if (Array.isArray(hc.CapDrop) && !hc.CapDrop.includes("ALL"))
    risks.push({
      path: at("CapDrop"),
      grants: "without ALL the container keeps Docker's default capabilities",
    });
  if ("SecurityOpt" in hc) {
    const opts = Array.isArray(hc.SecurityOpt) ? hc.SecurityOpt.map(String) : [];
    if (!opts.some((opt) => /^no-new-privileges(?:[:=]true)?$/.test(opt)))
      risks.push({
        path: at("SecurityOpt"),
        grants: "without no-new-privileges, setuid programs can raise privileges",
      });
    opts.forEach((opt, i) => {
      if (/unconfined|^label[:=]disable$/.test(opt))
        risks.push({ path: at("SecurityOpt", i), grants: `${opt} turns off a kernel security profile` });
    });
  }
  for (const [name, grants] of Object.entries(NAMESPACES)) {
    if (hc[name] === "host") risks.push({ path: at(name), grants: `host ${grants}` });
  }
  if (Array.isArray(hc.Devices) && hc.Devices.length > 0)
    risks.push({ path: at("Devices"), grants: "exposes host devices to the container" });
  if (typeof hc.PidsLimit === "number" && hc.PidsLimit <= 0)
    risks.push({
      path: at("PidsLimit"),
      grants: `${hc.PidsLimit} removes the process limit: a fork bomb in the container can exhaust the host`,
    });
  if (typeof hc.MemorySwap === "number" && (hc.MemorySwap === -1 || typeof hc.Memory !== "number"))
    risks.push({
      path: at("MemorySwap"),
      grants: "lets the container swap, so the memory limit no longer bounds it",
    });
  if (Array.isArray(hc.Binds)) {
    hc.Binds.forEach((bind, i) => {
      const grant = hostPathGrant(String(bind).split(":")[0] ?? "");
      if (grant) risks.push({ path: at("Binds", i), grants: `${JSON.stringify(bind)} ${grant}` });
    });
  }
  if (Array.isArray(hc.Mounts)) {
    hc.Mounts.forEach((mount, i) => {
      const source = (mount as { Source?: unknown } | null)?.Source;
      const grant = typeof source === "string" ? hostPathGrant(source) : undefined;
      if (grant)
        risks.push({ path: at("Mounts", i, "Source"), grants: `${JSON.stringify(source)} ${grant}` });
    });
  }
  return risks;
}

function dockerRisks(docker: Record<string, unknown>): Risk[] {
  const risks: Risk[] = [];
  if (docker.network === "host")
    risks.push({ path: ["docker", "network"], grants: `host ${NAMESPACES.NetworkMode}` });
  if (docker.user !== undefined && /^0(:|$)/.test(String(docker.user).trim()))
    risks.push({
      path: ["docker", "user"],
      grants: `${JSON.stringify(String(docker.user))} runs the agent as root inside the container, so any escape starts as root`,
    });
  if (Array.isArray(docker.volumes)) {
    docker.volumes.forEach((volume, i) => {
      const grant = hostPathGrant(String(volume).split(":")[0] ?? "");
      if (grant) risks.push({ path: ["docker", "volumes", i], grants: `${JSON.stringify(volume)} ${grant}` });
    });
  }
  if (Array.isArray(docker.ports)) {
    docker.ports.forEach((entry, i) => {
      const port = parsePortSpec(String(entry));
      if (port && (port.hostIp === undefined || port.hostIp === "0.0.0.0" || port.hostIp === "::")) {
        risks.push({
          path: ["docker", "ports", i],
          grants:
            `${JSON.stringify(entry)} publishes port ${port.hostPort} on every interface of the host, so anyone ` +
            "who can reach this machine can reach it",
          fix: `write "127.0.0.1:${port.hostPort}:${port.containerPort}" to keep it local`,
        });
      }
    });
  }
  const hc = docker.host_config;
  if (hc !== null && typeof hc === "object" && !Array.isArray(hc))
    risks.push(...hostConfigRisks(hc as Record<string, unknown>));
  return risks;
}

/** Warnings for an agent (fleet defaults, agent file and overrides merged) that runs in Docker. */
export function dockerRiskWarnings(agent: SNode): ConfigIssue[] {
  const docker = toPlain(getChild(agent, "docker"));
  if (docker === null || typeof docker !== "object" || (docker as { enabled?: unknown }).enabled !== true)
    return [];
  return dockerRisks(docker as Record<string, unknown>).map((risk) =>
    issueAt(agent, risk.path, `${risk.grants}; ${risk.fix ?? REMOVE}`),
  );
}
