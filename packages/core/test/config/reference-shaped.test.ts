// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the YAML under test contains literal ${VAR} references
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { formatIssue, loadFleet } from "../../src/config/index.js";
import { problems, writeFleet } from "./helpers.js";

const FIXTURES = fileURLToPath(new URL("./fixtures/reference-shaped/", import.meta.url));
const ENV = { SHOP_HOOK_SECRET: "shop-hook-secret-0123456789" };

/** The loaded fleet as JSON, with the fixture's own folder replaced so two folders compare. */
async function meaning(folder: string): Promise<unknown> {
  const dir = join(FIXTURES, folder);
  const loaded = await loadFleet(dir, { env: ENV });
  const { fleet, agents, warnings } = loaded;
  return JSON.parse(JSON.stringify({ fleet, agents, warnings }).replaceAll(dir, "<fleet>"));
}

describe("a fleet written from the reference herdctl's documented keys", () => {
  it("loads without a warning, in the older spellings and in the flat ones", async () => {
    for (const folder of ["block", "flat"]) {
      const loaded = await loadFleet(join(FIXTURES, folder), { env: ENV });
      expect(loaded.warnings.map(formatIssue)).toEqual([]);
      expect(loaded.agents.map((a) => a.name)).toEqual(["coder", "boxed"]);
    }
  });

  it("means the same with the permissions block and working_directory.root as with the flat keys", async () => {
    expect(await meaning("block")).toEqual(await meaning("flat"));
  });

  it("turns the permissions block into the flat keys the way the reference applied it", async () => {
    const loaded = await loadFleet(join(FIXTURES, "block"), { env: ENV });
    const [coder, boxed] = loaded.agents;
    expect(coder).toMatchObject({
      permission_mode: "plan",
      allowed_tools: ["Read", "Edit", "Glob", "Grep", "Bash(git *)", "Bash(npm *)"],
      denied_tools: ["WebSearch", "Bash(rm -rf *)"],
      working_directory: join(FIXTURES, "block", "work"),
    });
    // From the fleet's defaults.permissions, where the agent file says nothing of its own.
    expect(boxed).toMatchObject({
      permission_mode: "bypassPermissions",
      denied_tools: ["WebFetch", "Bash(sudo *)"],
    });
    // Docker keys repeated or narrowed in the agent file apply; the fleet's overrides still win.
    expect(boxed!.docker).toMatchObject({
      enabled: true,
      image: "herdctl/runtime:latest",
      network: "none",
      volumes: ["./cache:/cache:rw"],
      workspace_mode: "ro",
    });
  });
});

describe("the permissions block", () => {
  const fleet = "version: 1\nagents:\n  - path: ./agents/a.yaml\n";

  it("refuses a block entry that contradicts the flat key in the same file, naming both places", async () => {
    const dir = writeFleet({
      "herdctl.yaml": fleet,
      "agents/a.yaml":
        "name: a\npermission_mode: plan\nallowed_tools: [Read]\npermissions:\n  mode: acceptEdits\n" +
        "  bash:\n    allowed_commands: [git]\n",
    });
    expect(await problems(dir)).toEqual([
      "agents/a.yaml:5:3 permissions.mode: permissions.mode conflicts with permission_mode (agents/a.yaml:2:18), which this file also sets",
      "agents/a.yaml:7:5 permissions.bash.allowed_commands: permissions.bash.allowed_commands conflicts with allowed_tools (agents/a.yaml:3:16), which this file also sets",
    ]);
  });

  it("accepts both forms when they agree, and a block in defaults under a flat key in the agent file", async () => {
    const dir = writeFleet({
      "herdctl.yaml": `version: 1\ndefaults:\n  permissions: { mode: plan, allowed_tools: [Read] }\n${fleet.slice(11)}`,
      "agents/a.yaml": "name: a\nallowed_tools: [Grep]\npermissions: { allowed_tools: [Grep] }\n",
    });
    const loaded = await loadFleet(dir, { env: {} });
    expect(loaded.warnings).toEqual([]);
    expect(loaded.agents[0]).toMatchObject({ permission_mode: "plan", allowed_tools: ["Grep"] });
  });

  it("names unknown keys and malformed commands", async () => {
    const dir = writeFleet({
      "herdctl.yaml": fleet,
      "agents/a.yaml": "name: a\npermissions:\n  modes: plan\n",
      "agents/b.yaml": "name: b\npermissions:\n  bash: { allowed_commands: [git, { x: 1 }] }\n",
      "two/herdctl.yaml": "version: 1\nagents:\n  - path: ../agents/b.yaml\n",
    });
    expect(await problems(dir)).toEqual(['agents/a.yaml:3:3 permissions.modes: unknown key "modes"']);
    expect(await problems(join(dir, "two"))).toEqual([
      "../agents/b.yaml:3:35 permissions.bash.allowed_commands[1]: expected a command as text, e.g. git",
    ]);
  });
});

describe("the mapping form of the working directory", () => {
  it("takes root, or path as the reference's examples write it, and warns only about clone settings", async () => {
    const dir = writeFleet({
      "herdctl.yaml": "version: 1\nagents:\n  - path: ./agents/a.yaml\n  - path: ./agents/b.yaml\n",
      "agents/a.yaml": "name: a\nworkspace:\n  path: ./work\n",
      "agents/b.yaml": "name: b\nworking_directory: { root: ./work, auto_clone: true }\n",
    });
    const loaded = await loadFleet(dir, { env: {} });
    expect(loaded.agents.map((a) => a.working_directory)).toEqual([
      join(dir, "agents", "work"),
      join(dir, "agents", "work"),
    ]);
    expect(loaded.warnings.map((w) => `${w.file}:${w.line} ${w.message}`)).toEqual([
      'agents/a.yaml:2 "workspace" is deprecated; use "working_directory"',
      "agents/b.yaml:2 auto_clone is ignored: herdctl does not clone repositories; the folder must exist before the first job (docs/migrating.md#working-directory)",
    ]);
  });
});

describe("Docker keys an agent file may only repeat or narrow", () => {
  function fleetWith(defaults: string, agentDocker: string, overrides = ""): string {
    return writeFleet({
      "herdctl.yaml": `version: 1\ndefaults:\n  docker: ${defaults}\nagents:\n  - path: ./agents/a.yaml\n${overrides}`,
      "agents/a.yaml": `name: a\ndocker: ${agentDocker}\n`,
    });
  }

  it("accepts the fleet's own values, a narrower network and a subset of its mounts, read-only", async () => {
    const dir = fleetWith(
      '{ enabled: true, image: "acme/runner:2", user: "1000:1000", volumes: ["/data:/data", "/logs:/logs:ro"], env: { REGION: eu }, ports: ["127.0.0.1:8080:80"] }',
      '{ image: "acme/runner:2", user: "1000:1000", network: none, volumes: ["/data:/data:ro"], env: { REGION: eu }, ports: [] }',
    );
    const loaded = await loadFleet(dir, { env: {} });
    expect(loaded.agents[0]!.docker).toMatchObject({
      image: "acme/runner:2",
      network: "none",
      volumes: ["/data:/data:ro"],
      ports: [],
    });
  });

  it("refuses anything wider, once per key, and says where in the fleet file it belongs", async () => {
    const dir = fleetWith(
      '{ enabled: true, network: bridge, volumes: ["/data:/data:ro"] }',
      '{ image: evil/image, network: host, user: "0:0", volumes: ["/data:/data:rw", "/:/host"], env: { ANTHROPIC_BASE_URL: "http://x" }, ports: ["80:80"], host_config: { Privileged: true } }',
    );
    expect(await problems(dir)).toEqual([
      'agents/a.yaml:2:11 docker.image: "image" can only be set in the fleet file: this agent file asks for image "evil/image"; the fleet\'s is "herdctl/runtime:latest"',
      'agents/a.yaml:2:30 docker.network: "network" can only be set in the fleet file: this agent file asks for network "host"; the fleet\'s is "bridge"',
      'agents/a.yaml:2:45 docker.user: "user" can only be set in the fleet file: this agent file asks for user "0:0"; the fleet file sets none, so herdctl picks a non-root user',
      'agents/a.yaml:2:58 docker.volumes: "volumes" can only be set in the fleet file: this agent file mounts "/data:/data:rw", "/:/host", which the fleet file does not',
      'agents/a.yaml:2:98 docker.env: "env" can only be set in the fleet file: this agent file sets env ANTHROPIC_BASE_URL, which the fleet file does not set to the same value',
      'agents/a.yaml:2:139 docker.ports: "ports" can only be set in the fleet file: this agent file publishes "80:80", which the fleet file does not',
      'agents/a.yaml:2:157 docker.host_config: "host_config" can only be set in the fleet file: this agent file sets host_config Privileged, which the fleet file does not set to the same value',
    ]);
  });

  it("treats proxy credentials and the proxy-only network as narrowing, and env credentials or a wider network as widening", async () => {
    const narrower = fleetWith(
      "{ enabled: true, network: bridge }",
      "{ network: proxy-only, credentials: proxy }",
    );
    expect((await loadFleet(narrower, { env: {} })).agents[0]!.docker).toMatchObject({
      network: "proxy-only",
      credentials: "proxy",
    });
    const wider = fleetWith(
      "{ enabled: true, network: proxy-only, credentials: proxy }",
      "{ network: bridge, credentials: env }",
    );
    expect(await problems(wider)).toEqual([
      'agents/a.yaml:2:11 docker.network: "network" can only be set in the fleet file: this agent file asks for network "bridge"; the fleet\'s is "proxy-only"',
      'agents/a.yaml:2:28 docker.credentials: "credentials" can only be set in the fleet file: this agent file asks for credentials "env"; the fleet\'s is "proxy"',
    ]);
  });

  it("lets an agent file narrow docker.egress.allow to a subset of the fleet's, never widen it", async () => {
    const fleetEgress =
      '{ enabled: true, network: proxy-only, egress: { allow: [github.com, "*.example.com:443"] } }';
    const narrower = fleetWith(fleetEgress, '{ egress: { allow: [github.com, "api.example.com:443"] } }');
    expect((await loadFleet(narrower, { env: {} })).agents[0]!.docker).toMatchObject({
      network: "proxy-only",
      egress: { allow: ["github.com", "api.example.com:443"] },
    });
    const wider = fleetWith(
      fleetEgress,
      '{ egress: { allow: [github.com, evil.test, "*.example.com", "github.com:22"] } }',
    );
    expect(await problems(wider)).toEqual([
      'agents/a.yaml:2:11 docker.egress: "egress" can only be set in the fleet file: this agent file allows egress to "evil.test", "*.example.com", "github.com:22", which the fleet\'s docker.egress.allow does not',
    ]);
    // With no fleet list, any agent-file list is wider than none.
    expect(
      await problems(
        fleetWith("{ enabled: true, network: proxy-only }", "{ egress: { allow: [github.com] } }"),
      ),
    ).toEqual([
      'agents/a.yaml:2:11 docker.egress: "egress" can only be set in the fleet file: this agent file allows egress to "github.com", which the fleet\'s docker.egress.allow does not',
    ]);
  });

  it("keeps env values out of the hint, which names the fleet entry to move the key to", async () => {
    const dir = fleetWith("{ enabled: true }", '{ env: { API_TOKEN: "${API_TOKEN}" } }');
    const error = await loadFleet(dir, { env: { API_TOKEN: "tok-secret-value-123" } }).catch((e) => e);
    const text = error.issues.map(formatIssue).join("\n");
    expect(text).not.toContain("tok-secret-value-123");
    expect(error.issues[0].hint).toBe(
      "move it to this agent's entry agents[0] in herdctl.yaml:5 as overrides: { docker: { env: <the value written here> } } " +
        "(or to defaults.docker for every agent) and delete it here; agent files live where the agent can write, " +
        "so they may only repeat or narrow what the fleet file grants",
    );
  });

  it("lets the fleet's overrides replace an agent file's value instead of refusing it", async () => {
    const dir = fleetWith(
      "{ enabled: true }",
      "{ network: host, image: evil/image }",
      "    overrides: { docker: { network: none, image: acme/ok } }\n",
    );
    const loaded = await loadFleet(dir, { env: {} });
    expect(loaded.agents[0]!.docker).toMatchObject({ network: "none", image: "acme/ok" });
  });
});

describe("reference keys herdctl loads but ignores", () => {
  it("each warn, naming the section of docs/migrating.md, and need none of their variables", async () => {
    const loaded = await loadFleet(join(FIXTURES, "ignored"), { env: {} });
    expect(loaded.warnings.length).toBe(10);
    for (const warning of loaded.warnings)
      expect(warning.message).toMatch(/\(docs\/migrating\.md#[a-z_-]+\)$/);
    expect(loaded.agents[0]).not.toHaveProperty("chat");
  });
});
