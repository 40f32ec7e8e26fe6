import { describe, expect, it } from "vitest";
import { loadFleet } from "../../src/config/index.js";
import { problems, writeFleet } from "./helpers.js";

const REMOVE = "; remove it unless the agent needs it";

/** Loads a fleet whose defaults.docker is `docker` (flow YAML) and returns its warnings, positioned. */
async function warningsFor(docker: string): Promise<string[]> {
  const dir = writeFleet({
    "herdctl.yaml": `defaults:\n  docker:\n    enabled: true\n${docker}agents: [{ path: a.yaml }]\n`,
    "a.yaml": "name: a\n",
  });
  const loaded = await loadFleet(dir, { env: {} });
  return loaded.warnings.map((w) => `${w.file}:${w.line}:${w.col} ${w.path}: ${w.message}`);
}

/** A case: the warning points at line 4 (the setting), where `needle` starts. */
function risk(
  label: string,
  docker: string,
  key: string,
  needle: string,
  message: string,
): [string, string, string] {
  return [label, docker, `herdctl.yaml:4:${docker.indexOf(needle) + 1} defaults.docker.${key}: ${message}`];
}
const SOCKET = "gives the container root on the host through the Docker socket";

describe("risky Docker settings warn at validate time, naming the key and what it grants", () => {
  const cases: Array<[string, string, string]> = [
    risk(
      "the Docker socket as a volume",
      '    volumes: ["/var/run/docker.sock:/var/run/docker.sock"]\n',
      "volumes[0]",
      '"/var/run/docker.sock:',
      `"/var/run/docker.sock:/var/run/docker.sock" ${SOCKET}${REMOVE}`,
    ),
    risk(
      "the host root as a volume",
      '    volumes: ["/data:/data", "/:/host"]\n',
      "volumes[1]",
      '"/:/host"',
      `"/:/host" exposes the host's whole filesystem to the container${REMOVE}`,
    ),
    risk(
      "/run/docker.sock in host_config.Binds",
      '    host_config: { Binds: ["/run/docker.sock:/var/run/docker.sock"] }\n',
      "host_config.Binds[0]",
      '"/run/docker.sock:',
      `"/run/docker.sock:/var/run/docker.sock" ${SOCKET}${REMOVE}`,
    ),
    risk(
      "/etc in host_config.Binds",
      '    host_config: { Binds: ["/etc/ssh:/ssh:ro"] }\n',
      "host_config.Binds[0]",
      '"/etc/ssh',
      `"/etc/ssh:/ssh:ro" exposes the host's system configuration (accounts, sudoers, service secrets) to the container${REMOVE}`,
    ),
    risk(
      "/root in host_config.Mounts",
      "    host_config: { Mounts: [{ Type: bind, Source: /root, Target: /r }] }\n",
      "host_config.Mounts[0].Source",
      "/root,",
      `"/root" exposes root's home (SSH keys, credentials) to the container${REMOVE}`,
    ),
    risk(
      "PidsLimit -1",
      "    host_config: { PidsLimit: -1 }\n",
      "host_config.PidsLimit",
      "-1 }",
      `-1 removes the process limit: a fork bomb in the container can exhaust the host${REMOVE}`,
    ),
    risk(
      "PidsLimit 0",
      "    host_config: { PidsLimit: 0 }\n",
      "host_config.PidsLimit",
      "0 }",
      `0 removes the process limit: a fork bomb in the container can exhaust the host${REMOVE}`,
    ),
    risk(
      "NetworkMode host",
      "    host_config: { NetworkMode: host }\n",
      "host_config.NetworkMode",
      "host }",
      `host shares the host's network: the container reaches every service on the host, 127.0.0.1 included${REMOVE}`,
    ),
    risk(
      "network host",
      "    network: host\n",
      "network",
      "host\n",
      `host shares the host's network: the container reaches every service on the host, 127.0.0.1 included${REMOVE}`,
    ),
    risk(
      "Privileged",
      "    host_config: { Privileged: true }\n",
      "host_config.Privileged",
      "true }",
      `true gives the container full control of the host${REMOVE}`,
    ),
    risk(
      "CapAdd",
      "    host_config: { CapAdd: [SYS_ADMIN, NET_ADMIN] }\n",
      "host_config.CapAdd",
      "[SYS_ADMIN",
      `SYS_ADMIN, NET_ADMIN adds Linux capabilities that herdctl drops${REMOVE}`,
    ),
    risk(
      "SecurityOpt without no-new-privileges",
      "    host_config: { SecurityOpt: [] }\n",
      "host_config.SecurityOpt",
      "[] }",
      `without no-new-privileges, setuid programs can raise privileges${REMOVE}`,
    ),
    risk(
      "seccomp=unconfined",
      '    host_config: { SecurityOpt: [no-new-privileges, "seccomp=unconfined"] }\n',
      "host_config.SecurityOpt[1]",
      '"seccomp=',
      `seccomp=unconfined turns off a kernel security profile${REMOVE}`,
    ),
    risk(
      "apparmor=unconfined",
      '    host_config: { SecurityOpt: [no-new-privileges, "apparmor=unconfined"] }\n',
      "host_config.SecurityOpt[1]",
      '"apparmor=',
      `apparmor=unconfined turns off a kernel security profile${REMOVE}`,
    ),
    risk(
      "UsernsMode host",
      "    host_config: { UsernsMode: host }\n",
      "host_config.UsernsMode",
      "host }",
      `host turns off user-namespace remapping: root in the container is root on the host${REMOVE}`,
    ),
    risk(
      "PidMode host",
      "    host_config: { PidMode: host }\n",
      "host_config.PidMode",
      "host }",
      `host shares the host's process namespace: the container sees and can signal every host process${REMOVE}`,
    ),
    risk(
      "IpcMode host",
      "    host_config: { IpcMode: host }\n",
      "host_config.IpcMode",
      "host }",
      `host shares the host's IPC namespace: the container reads other processes' shared memory${REMOVE}`,
    ),
    risk(
      "Devices",
      "    host_config: { Devices: [{ PathOnHost: /dev/sda, PathInContainer: /dev/sda }] }\n",
      "host_config.Devices",
      "[{ PathOnHost",
      `exposes host devices to the container${REMOVE}`,
    ),
    risk(
      'user "0:0"',
      '    user: "0:0"\n',
      "user",
      '"0:0"',
      `"0:0" runs the agent as root inside the container, so any escape starts as root${REMOVE}`,
    ),
    risk(
      "a port on every interface",
      '    ports: ["8080:80"]\n',
      "ports[0]",
      '"8080:80"',
      `"8080:80" publishes port 8080 on every interface of the host, so anyone who can reach this machine can reach it; write "127.0.0.1:8080:80" to keep it local`,
    ),
    risk(
      "a port on 0.0.0.0",
      '    ports: ["0.0.0.0:9000:90/udp"]\n',
      "ports[0]",
      '"0.0.0.0:',
      `"0.0.0.0:9000:90/udp" publishes port 9000 on every interface of the host, so anyone who can reach this machine can reach it; write "127.0.0.1:9000:90" to keep it local`,
    ),
  ];

  it.each(cases)("%s", async (_label, docker, expected) => {
    expect(await warningsFor(docker)).toEqual([expected]);
  });

  it("is quiet about ordinary settings and loopback or explicit port addresses", async () => {
    expect(
      await warningsFor(
        "    network: bridge\n" +
          '    user: "1000:1000"\n' +
          '    volumes: ["/srv/data:/data:ro", "/home/alice/project:/p", "/rootfs:/x"]\n' +
          '    ports: ["127.0.0.1:8080:80", "[::1]:8443:443", "192.168.1.5:9000:90"]\n' +
          '    host_config: { ShmSize: 67108864, PidsLimit: 100, SecurityOpt: ["no-new-privileges"], Binds: ["/srv/x:/x"] }\n',
      ),
    ).toEqual([]);
  });

  it("stays quiet for agents that do not run in Docker", async () => {
    const dir = writeFleet({
      "herdctl.yaml":
        "defaults:\n  docker: { network: host, host_config: { Privileged: true } }\nagents: [{ path: a.yaml }]\n",
      "a.yaml": "name: a\n",
    });
    expect((await loadFleet(dir, { env: {} })).warnings).toEqual([]);
  });
});

describe("docker.ports", () => {
  it("accepts the loopback and explicit-address forms the runtime understands", async () => {
    const dir = writeFleet({
      "herdctl.yaml":
        'defaults:\n  docker: { enabled: true, ports: ["127.0.0.1:8080:80", "[::1]:8081:81", "10.0.0.2:53:53/udp"] }\nagents: [{ path: a.yaml }]\n',
      "a.yaml": "name: a\n",
    });
    const loaded = await loadFleet(dir, { env: {} });
    expect(loaded.agents[0]?.docker?.ports).toEqual([
      "127.0.0.1:8080:80",
      "[::1]:8081:81",
      "10.0.0.2:53:53/udp",
    ]);
  });

  it("rejects malformed ones with the accepted forms", async () => {
    const dir = writeFleet({
      "herdctl.yaml":
        'defaults:\n  docker: { ports: ["999.1.1.1:80:80", "localhost:80:80"] }\nagents: [{ path: a.yaml }]\n',
      "a.yaml": "name: a\n",
    });
    expect(await problems(dir)).toEqual([
      'herdctl.yaml:2:21 defaults.docker.ports[0]: "999.1.1.1:80:80" is not a port binding',
      'herdctl.yaml:2:40 defaults.docker.ports[1]: "localhost:80:80" is not a port binding',
    ]);
  });
});
