import { chownSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  type AgentDockerInput,
  DockerConfigError,
  dockerConfigHash,
  isCredentialEnvKey,
  resolveDockerConfig,
} from "../../../src/runner/runtime/docker-config.js";

const asUser = { hostUid: 1001, hostGid: 1002 };

function errorOf(input: AgentDockerInput, context = asUser): DockerConfigError {
  try {
    resolveDockerConfig(input, undefined, context);
  } catch (error) {
    expect(error).toBeInstanceOf(DockerConfigError);
    expect((error as DockerConfigError).code).toBe("DOCKER_CONFIG_INVALID");
    return error as DockerConfigError;
  }
  throw new Error("expected a DockerConfigError");
}

describe("resolveDockerConfig defaults", () => {
  it("fills every default, hardened and bounded", () => {
    expect(resolveDockerConfig({ enabled: true }, undefined, asUser)).toEqual({
      enabled: true,
      ephemeral: true,
      image: "herdctl/runtime:latest",
      network: "bridge",
      memoryBytes: 2 * 1024 ** 3,
      pidsLimit: 512,
      tmpfs: {},
      workspaceMode: "rw",
      maxContainers: 5,
      labels: {},
      readOnly: false,
      user: "1001:1002",
      volumes: [],
      env: {},
      ports: [],
      hostConfig: {},
      credentials: "proxy",
      egressAllow: [],
    });
  });

  it("keeps the credential on the host by default on every network that can run a job", () => {
    for (const network of ["proxy-only", "bridge", "host"] as const) {
      expect(resolveDockerConfig({ network }, undefined, asUser).credentials).toBe("proxy");
    }
    // A fleet that asks for env gets env, except where only the proxy leads out.
    for (const network of ["bridge", "host"] as const) {
      expect(resolveDockerConfig({ network, credentials: "env" }, undefined, asUser).credentials).toBe("env");
    }
    // none reaches nothing, the proxy included; the runner refuses such an agent with its own message.
    expect(resolveDockerConfig({ network: "none" }, undefined, asUser).credentials).toBe("env");
  });

  it("keeps docker.egress.allow for proxy-only and warns that other networks ignore it", () => {
    const cfg = resolveDockerConfig(
      undefined,
      { network: "proxy-only", egress: { allow: ["github.com"] } },
      asUser,
    );
    expect(cfg.egressAllow).toEqual(["github.com"]);
    expect(resolveDockerConfig({ network: "proxy-only" }, undefined, asUser).egressAllow).toEqual([]);
    const warnings: string[] = [];
    resolveDockerConfig({ network: "bridge", egress: { allow: ["github.com"] } }, undefined, {
      ...asUser,
      warn: (m) => warnings.push(m),
    });
    expect(warnings).toEqual([
      "docker.egress.allow only applies with network proxy-only; network bridge reaches the network directly, so it is ignored",
    ]);
    expect(() =>
      resolveDockerConfig({ network: "proxy-only", egress: { allow: ["a.test", "*"] } }, undefined, asUser),
    ).toThrow('docker.egress.allow[1]: "*" has a * other than a leading "*."');
  });

  it("parses sizes, cpus, volumes, ports, tmpfs and merges fleet defaults under the agent", () => {
    const cfg = resolveDockerConfig(
      {
        memory: "512m",
        cpus: 1.5,
        cpu_shares: 512,
        cpu_period: 100_000,
        cpu_quota: 50_000,
        pids_limit: 64,
        volumes: ["/data:/data:ro", "cache:/cache"],
        ports: ["127.0.0.1:8080:80", "9000:9000/udp", 3000],
        tmpfs: ["/scratch:size=64m"],
        env: { DEBUG: 1 },
        labels: { team: "api" },
      },
      { network: "none", env: { LANG: "C" }, labels: { owner: "ops" }, memory: "4g" },
      { ...asUser, workingDirectory: "/srv/repo" },
    );
    expect(cfg.memoryBytes).toBe(512 * 1024 ** 2);
    expect(cfg.nanoCpus).toBe(1_500_000_000);
    expect(cfg.cpuShares).toBe(512);
    expect(cfg.cpuPeriod).toBe(100_000);
    expect(cfg.cpuQuota).toBe(50_000);
    expect(cfg.pidsLimit).toBe(64);
    expect(cfg.network).toBe("none");
    expect(cfg.env).toEqual({ LANG: "C", DEBUG: "1" });
    expect(cfg.labels).toEqual({ owner: "ops", team: "api" });
    expect(cfg.tmpfs).toEqual({ "/scratch": "size=64m" });
    expect(cfg.volumes).toEqual([
      { hostPath: "/data", containerPath: "/data", mode: "ro" },
      { hostPath: "/srv/repo/cache", containerPath: "/cache", mode: "rw" },
    ]);
    expect(cfg.ports).toEqual([
      { hostIp: "127.0.0.1", hostPort: 8080, containerPort: 80, protocol: "tcp" },
      { hostPort: 9000, containerPort: 9000, protocol: "udp" },
      { hostPort: 3000, containerPort: 3000, protocol: "tcp" },
    ]);
  });

  it("gives a read-only root filesystem writable /tmp and home", () => {
    const cfg = resolveDockerConfig({ read_only: true }, undefined, asUser);
    expect(cfg.readOnly).toBe(true);
    expect(cfg.tmpfs).toEqual({
      "/tmp": "rw,nosuid,nodev,size=512m,mode=1777",
      "/home/herdctl": "rw,nosuid,nodev,size=256m,uid=1001,gid=1002,mode=0755",
    });
  });
});

describe("resolveDockerConfig user", () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  const tempDir = (uid: number) => {
    const dir = mkdtempSync(join(tmpdir(), "herdctl-user-"));
    dirs.push(dir);
    chownSync(dir, uid, uid);
    return dir;
  };

  it("uses the host uid:gid when herdctl is not root", () => {
    expect(resolveDockerConfig({}, undefined, { hostUid: 1500, hostGid: 20 }).user).toBe("1500:20");
  });

  it("as root, uses the working directory's owner", () => {
    const warnings: string[] = [];
    const cfg = resolveDockerConfig({}, undefined, {
      hostUid: 0,
      hostGid: 0,
      workingDirectory: tempDir(1234),
      warn: (m) => warnings.push(m),
    });
    expect(cfg.user).toBe("1234:1234");
    expect(warnings).toEqual([]);
  });

  it("as root with a root-owned workspace, falls back to 1000:1000 and warns", () => {
    const dir = tempDir(0);
    const warnings: string[] = [];
    const cfg = resolveDockerConfig({}, undefined, {
      hostUid: 0,
      hostGid: 0,
      workingDirectory: dir,
      warn: (m) => warnings.push(m),
    });
    expect(cfg.user).toBe("1000:1000");
    expect(warnings).toEqual([
      `docker.user: herdctl runs as root and ${dir} is owned by root, so the container runs as 1000:1000 ` +
        "(the image's herdctl user) and the workspace may not be writable: chown the working directory to a " +
        'regular user, or set docker.user ("0:0" runs as root)',
    ]);
  });

  // The warning for "0:0" comes from the config loader (test/config/docker-risks.test.ts).
  it("runs as root only when asked explicitly", () => {
    const cfg = resolveDockerConfig({ user: "0:0" }, undefined, asUser);
    expect(cfg.user).toBe("0:0");
    expect(resolveDockerConfig({ user: 1200 }, undefined, asUser).user).toBe("1200:1200");
  });
});

describe("resolveDockerConfig validation messages", () => {
  it.each<[AgentDockerInput, string]>([
    [
      { memory: "2 gigs" },
      'docker.memory: "2 gigs" is not a size; use a number with a unit, like 512m or 2g',
    ],
    [
      { memory: "1k" },
      'docker.memory: "1k" is too small; Docker needs at least 6m (a bare number means bytes)',
    ],
    [
      { network: "overlay" },
      'docker.network: "overlay" is not a network mode; use proxy-only, none, bridge or host',
    ],
    [{ cpus: "two" }, 'docker.cpus: "two" is not a CPU count; use a number like 1 or 0.5'],
    [{ pids_limit: 0 }, "docker.pids_limit: 0 is not a whole number above 0; use e.g. 512"],
    [{ max_containers: 2.5 }, "docker.max_containers: 2.5 is not a whole number above 0; use e.g. 5"],
    [{ workspace_mode: "rx" }, 'docker.workspace_mode: "rx" is not a mode; use rw or ro'],
    [{ user: "bob" }, 'docker.user: "bob" is not a uid:gid; use numbers, like 1000:1000'],
    [{ volumes: ["/a"] }, 'docker.volumes[0]: "/a" is not a volume; use host:container or host:container:ro'],
    [
      { volumes: ["/a:/b:rx"] },
      'docker.volumes[0]: "/a:/b:rx" is not a volume; use host:container or host:container:ro',
    ],
    [
      { volumes: ["/a:/workspace"] },
      'docker.volumes[0]: "/a:/workspace": /workspace is where herdctl mounts its own directory',
    ],
    [{ volumes: ["rel:/b"] }, 'docker.volumes[0]: "rel:/b": the host path must be absolute'],
    [
      { ports: ["80:http"] },
      'docker.ports[0]: "80:http" is not a port mapping; use host-port:container-port, like 8080:80, 127.0.0.1:8080:80 or "[::1]:8080:80"',
    ],
    [{ tmpfs: ["cache"] }, 'docker.tmpfs[0]: "cache" is not an absolute path; use e.g. /cache:size=64m'],
    [
      { labels: { "herdctl.job": "x" } },
      "docker.labels.herdctl.job: labels starting with herdctl. are reserved; use another prefix",
    ],
    [
      { privileged: true } as AgentDockerInput,
      "docker.privileged: is not a docker option; use one of: enabled, ephemeral, memory, cpus, cpu_shares, " +
        "cpu_period, cpu_quota, pids_limit, tmpfs, workspace_mode, max_containers, labels, read_only, image, network, " +
        "user, volumes, env, ports, host_config, credentials, egress",
    ],
    [
      { credentials: "vault" } as AgentDockerInput,
      'docker.credentials: "vault" is not a credential mode; use proxy (the default) or env',
    ],
    [
      { network: "none", credentials: "proxy" } as AgentDockerInput,
      "docker.credentials: proxy needs a way to herdctl's proxy and network none has none; set docker.network to proxy-only in the fleet file, which reaches the proxy and nothing else",
    ],
    [
      { network: "proxy-only", credentials: "env" } as AgentDockerInput,
      "docker.credentials: env cannot reach the model from network proxy-only, whose only way out is herdctl's proxy; remove docker.credentials (proxy-only implies proxy)",
    ],
  ])("%j", (input, message) => {
    expect(errorOf(input).message).toBe(message);
  });
});

// Warnings about risky keys come from the config loader (test/config/docker-risks.test.ts).
describe("host_config passthrough", () => {
  it("passes keys through as written", () => {
    const cfg = resolveDockerConfig(
      { host_config: { ShmSize: 268435456, Privileged: true, PidMode: "host" } },
      undefined,
      asUser,
    );
    expect(cfg.hostConfig).toEqual({ ShmSize: 268435456, Privileged: true, PidMode: "host" });
  });
});

describe("dockerConfigHash", () => {
  const base = () =>
    resolveDockerConfig({ memory: "1g", env: { A: "1", ANTHROPIC_API_KEY: "k1" } }, undefined, asUser);

  it("is stable across key order and ignores credentials, ephemeral and max_containers", () => {
    const a = base();
    const b = { ...base(), env: { ANTHROPIC_API_KEY: "k2", A: "1" }, ephemeral: false, maxContainers: 9 };
    expect(dockerConfigHash(a)).toBe(dockerConfigHash(b));
    expect(dockerConfigHash(a)).toMatch(/^[0-9a-f]{64}$/);
  });

  it("changes with anything fixed at container creation", () => {
    const a = dockerConfigHash(base());
    expect(dockerConfigHash({ ...base(), memoryBytes: 2 ** 31 })).not.toBe(a);
    expect(dockerConfigHash({ ...base(), env: { A: "2" } })).not.toBe(a);
    expect(dockerConfigHash({ ...base(), network: "none" })).not.toBe(a);
    expect(dockerConfigHash({ ...base(), user: "5:5" })).not.toBe(a);
  });

  it("treats API keys, tokens and the base URL as credentials", () => {
    for (const key of [
      "ANTHROPIC_API_KEY",
      "CLAUDE_CODE_OAUTH_TOKEN",
      "ANTHROPIC_BASE_URL",
      "GITHUB_TOKEN",
      "DB_PASSWORD",
    ]) {
      expect(isCredentialEnvKey(key)).toBe(true);
    }
    for (const key of ["LANG", "DEBUG", "TOKENIZER_PATH"]) expect(isCredentialEnvKey(key)).toBe(false);
  });
});
