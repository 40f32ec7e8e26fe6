import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AgentInstallError } from "../../src/agent-install/errors.js";
import { installAgent } from "../../src/agent-install/install.js";
import { removeAgent } from "../../src/agent-install/remove.js";
import { loadFleet } from "../../src/config/index.js";
import { type AgentRepo, FLEET_TEXT, git, makeFleet, makeRepo, tempParent } from "../helpers/git-repos.js";

/** A `${NAME}` reference as the agent's files write it. */
const ref = (body: string): string => ["$", "{", body, "}"].join("");

const GOOD = `name: helper
description: answers questions   # from the publisher
schedules:
  daily: { type: interval, interval: 1h }
`;

describe("installing an agent from a local git repository (real git)", () => {
  let tmp: ReturnType<typeof tempParent>;
  let fleetDir: string;
  let repo: AgentRepo;
  const fleetFile = () => join(fleetDir, "herdctl.yaml");
  const install = async (source: string, extra: { path?: string; name?: string } = {}) =>
    installAgent(await loadFleet(fleetDir), { source, cwd: tmp.dir, ...extra });
  /** What a failed install must leave: the fleet file byte for byte, and no agents/ at all. */
  const untouched = () => {
    expect(readFileSync(fleetFile(), "utf8")).toBe(FLEET_TEXT);
    expect(existsSync(join(fleetDir, "agents"))).toBe(false);
  };
  const failure = async (promise: Promise<unknown>): Promise<AgentInstallError> => {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AgentInstallError);
    return error as AgentInstallError;
  };

  beforeEach(() => {
    tmp = tempParent("herdctl-agent-install-");
    fleetDir = makeFleet(tmp.dir);
    repo = makeRepo(tmp.dir, "helper");
  });
  afterEach(() => tmp.remove());

  it("copies the agent, records where it came from, and adds it to the fleet file keeping its layout", async () => {
    const commit = repo.commit({ "agent.yaml": GOOD, "prompts/daily.md": "Say hi.\n" });
    const result = await installAgent(await loadFleet(fleetDir), {
      source: repo.bare,
      cwd: tmp.dir,
      now: () => new Date("2030-01-02T03:04:05.000Z"),
    });
    expect(result.name).toBe("helper");
    expect(result.reach).toEqual({
      workingDirectory: "agents/helper",
      ownFolder: true,
      permissionMode: "acceptEdits",
      allowedTools: null,
      docker: false,
      shellHooks: [],
      webhookHooks: [],
      mcpServers: [],
      schedules: ["daily"],
    });
    const dir = join(fleetDir, "agents", "helper");
    expect(readdirSync(dir).sort()).toEqual([".herdctl-source.json", "agent.yaml", "prompts"]);
    expect(readFileSync(join(dir, "agent.yaml"), "utf8")).toBe(GOOD);
    expect(readFileSync(join(dir, "prompts", "daily.md"), "utf8")).toBe("Say hi.\n");
    expect(JSON.parse(readFileSync(join(dir, ".herdctl-source.json"), "utf8"))).toEqual({
      source: repo.bare,
      ref: null,
      commit,
      path: null,
      originalName: null,
      installedAt: "2030-01-02T03:04:05.000Z",
    });
    expect(readFileSync(fleetFile(), "utf8")).toBe(
      FLEET_TEXT.replace(
        "  - path: ./local.yaml\n",
        "  - path: ./local.yaml\n  - path: ./agents/helper/agent.yaml\n",
      ),
    );
    const loaded = await loadFleet(fleetDir);
    expect(loaded.agents.map((a) => a.name)).toEqual(["local", "helper"]);
    // Jobs may not rewrite where the agent says it came from, any more than its agent file.
    expect(loaded.protectedPaths).toContain(join(dir, ".herdctl-source.json"));
    // No temporary folder is left beside it.
    expect(readdirSync(join(fleetDir, "agents"))).toEqual(["helper"]);
  });

  it("an invalid agent.yaml: the error names the file, line and key; nothing is copied", async () => {
    repo.commit({ "agent.yaml": "name: helper\nschedules:\n  daily: { type: interval, interval: often }\n" });
    const error = await failure(install(repo.bare));
    expect(error.code).toBe("AGENT_INVALID");
    expect(error.message).toContain(`the agent in ${repo.bare} does not load, so nothing was installed`);
    expect(error.message).toMatch(/agent\.yaml:3:\d+ schedules\.daily\.interval: /);
    untouched();
  });

  it("an agent.yaml without a name is refused by the loader, like any missing key", async () => {
    repo.commit({ "agent.yaml": "description: nameless\n" });
    const error = await failure(install(repo.bare));
    expect(error.code).toBe("AGENT_INVALID");
    expect(error.message).toMatch(/\n {2}agent\.yaml(:\d+:\d+)? name: /);
    untouched();
  });

  it("a repository without agent.yaml is refused, naming where it looked", async () => {
    repo.commit({ "README.md": "hello\n" });
    const error = await failure(install(repo.bare));
    expect(error.code).toBe("AGENT_INVALID");
    expect(error.message).toContain(`${repo.bare} has no agent.yaml`);
    untouched();
  });

  it("a name the fleet already uses is refused; --name installs it under another", async () => {
    repo.commit({ "agent.yaml": GOOD.replace("name: helper", "name: local") });
    const error = await failure(install(repo.bare));
    expect(error.code).toBe("AGENT_EXISTS");
    expect(error.message).toContain("the fleet already has an agent named local (local.yaml)");
    untouched();

    const result = await install(repo.bare, { name: "local2" });
    expect(result.name).toBe("local2");
    const text = readFileSync(join(fleetDir, "agents", "local2", "agent.yaml"), "utf8");
    expect(text).toBe(GOOD.replace("name: helper", "name: local2"));
    expect(result.record.originalName).toBe("local");
    expect((await loadFleet(fleetDir)).agents.map((a) => a.name)).toEqual(["local", "local2"]);
  });

  it("a ref that does not exist is refused, listing the ones that do", async () => {
    repo.commit({ "agent.yaml": GOOD });
    repo.tag("v1");
    const error = await failure(install(`${repo.bare}#v2`));
    expect(error.code).toBe("AGENT_REF_NOT_FOUND");
    expect(error.message).toBe(`"#v2" is not a branch, tag or commit of ${repo.bare}; it has: main, v1`);
    untouched();
  });

  it("#tag, #branch and #commit each install that version", async () => {
    const first = repo.commit({ "agent.yaml": GOOD.replace("answers questions", "first") });
    repo.tag("v1");
    const second = repo.commit({ "agent.yaml": GOOD.replace("answers questions", "second") });
    repo.branch("stable");
    repo.commit({ "agent.yaml": GOOD.replace("answers questions", "third") });

    git(repo.work, "tag", "--annotate", "v1-signed", "--message", "release", first);
    git(repo.work, "push", "--quiet", "origin", "v1-signed");
    const byTag = await install(`${repo.bare}#v1`, { name: "bytag" });
    expect(byTag.record).toMatchObject({ ref: "v1", commit: first });
    expect(readFileSync(join(byTag.dir, "agent.yaml"), "utf8")).toContain("first");

    // An annotated tag is an object of its own: what is installed is the commit it tags.
    const byAnnotated = await install(`${repo.bare}#v1-signed`, { name: "byannotated" });
    expect(byAnnotated.record).toMatchObject({ ref: "v1-signed", commit: first });

    const byCommit = await install(`${repo.bare}#${second.slice(0, 10)}`, { name: "bycommit" });
    expect(byCommit.record).toMatchObject({ ref: second.slice(0, 10), commit: second });
    expect(readFileSync(join(byCommit.dir, "agent.yaml"), "utf8")).toContain("second");

    const byBranch = await install(`${repo.bare}#stable`, { name: "bybranch" });
    expect(byBranch.record.commit).toBe(second);
  });

  it("a file:// URL and a relative path both work", async () => {
    const commit = repo.commit({ "agent.yaml": GOOD });
    const byUrl = await install(pathToFileURL(repo.bare).href, { name: "byurl" });
    expect(byUrl.record).toMatchObject({ source: pathToFileURL(repo.bare).href, commit });
    const byPath = await install("./helper.git", { name: "bypath" });
    expect(byPath.record).toMatchObject({ source: repo.bare, commit });
  });

  it("--path installs an agent kept in a subfolder, and refuses one outside the repository", async () => {
    repo.commit({ "agents/helper/agent.yaml": GOOD, "agents/helper/notes.md": "n\n", "other.txt": "x\n" });
    const error = await failure(install(repo.bare, { path: "../x" }));
    expect(error.code).toBe("AGENT_BAD_REQUEST");
    untouched();
    const result = await install(repo.bare, { path: "agents/helper" });
    expect(readdirSync(result.dir).sort()).toEqual([".herdctl-source.json", "agent.yaml", "notes.md"]);
    expect(result.record.path).toBe("agents/helper");
  });

  it("a symbolic link is refused, whatever it points at; nothing is copied", async () => {
    repo.commit({ "agent.yaml": GOOD, secrets: { link: "../../../../etc/shadow" } });
    const error = await failure(install(repo.bare));
    expect(error.code).toBe("AGENT_UNSAFE");
    expect(error.message).toContain('secrets is a symbolic link (to "../../../../etc/shadow")');
    untouched();
  });

  it("a variable its agent.yaml needs must be set first (the fleet would not load); others are listed", async () => {
    repo.commit({
      "agent.yaml": `${GOOD}hooks:\n  after_run: [{ type: webhook, url: "\${HELPER_HOOK_URL}" }]\n`,
      ".mcp.json": `{ "mcpServers": { "gh": { "command": "gh-mcp", "env": { "TOKEN": "${ref("HELPER_GH_TOKEN")}" } } } }\n`,
      "prompt.md": `Use ${ref("HELPER_MODE:-quiet")} mode.\n`,
    });
    const error = await failure(install(repo.bare));
    expect(error.code).toBe("AGENT_ENV_MISSING");
    expect(error.message).toContain("agent.yaml in");
    expect(error.message).toContain("uses HELPER_HOOK_URL, not set in the environment or in fleet/.env");
    expect(error.message).toMatch(
      /agent\.yaml:6:\d+ hooks\.after_run\[0\]\.url: environment variable HELPER_HOOK_URL is not set/,
    );
    untouched();

    await import("node:fs").then((fs) =>
      fs.writeFileSync(join(fleetDir, ".env"), "HELPER_HOOK_URL=http://127.0.0.1:9/hook\n"),
    );
    const result = await install(repo.bare);
    // Where results go is shown by host: a webhook URL is often itself the credential.
    expect(result.reach.webhookHooks).toEqual(["127.0.0.1:9"]);
    expect(result.env).toEqual([
      { name: "HELPER_GH_TOKEN", files: [".mcp.json"], hasDefault: false, set: false },
      { name: "HELPER_HOOK_URL", files: ["agent.yaml"], hasDefault: false, set: true },
      { name: "HELPER_MODE", files: ["prompt.md"], hasDefault: true, set: false },
    ]);
  });

  it("what the agent may do is summarised, with interpolated secrets hidden", async () => {
    await import("node:fs").then((fs) =>
      fs.writeFileSync(join(fleetDir, ".env"), "HELPER_API_TOKEN=tok-supersecret-123\n"),
    );
    repo.commit({
      "agent.yaml": `${GOOD}working_directory: ../../repos/api
permission_mode: acceptEdits
allowed_tools: [Read, Edit]
docker: { enabled: true }
hooks:
  after_run: [{ type: shell, command: "notify --token ${ref("HELPER_API_TOKEN")}" }]
mcp_servers:
  issues: { command: issues-mcp, args: ["--token", "${ref("HELPER_API_TOKEN")}"] }
`,
    });
    const result = await install(repo.bare);
    expect(result.reach).toMatchObject({
      workingDirectory: "repos/api",
      ownFolder: false,
      permissionMode: "acceptEdits",
      allowedTools: ["Read", "Edit"],
      docker: true,
      // A value built from a secret-named variable is a secret as a whole.
      shellHooks: ["[redacted]"],
      mcpServers: ["issues (runs issues-mcp --token [redacted])"],
    });
    expect(JSON.stringify(result)).not.toContain("tok-supersecret-123");
  });

  it("remove takes the entry out keeping the layout, and deletes the folder agent add made", async () => {
    repo.commit({ "agent.yaml": GOOD });
    await install(repo.bare);
    const removed = await removeAgent(await loadFleet(fleetDir), "helper");
    expect(removed.deleted).toBe(join(fleetDir, "agents", "helper"));
    expect(readFileSync(fleetFile(), "utf8")).toBe(FLEET_TEXT);
    expect(existsSync(join(fleetDir, "agents", "helper"))).toBe(false);

    await install(repo.bare);
    const kept = await removeAgent(await loadFleet(fleetDir), "helper", { keepFiles: true });
    expect(kept.kept).toBe(join(fleetDir, "agents", "helper"));
    expect(existsSync(join(fleetDir, "agents", "helper", "agent.yaml"))).toBe(true);
    expect(readFileSync(fleetFile(), "utf8")).toBe(FLEET_TEXT);

    // A hand-written agent leaves the list; its file stays.
    const local = await removeAgent(await loadFleet(fleetDir), "local");
    expect(local).toEqual({ name: "local", kept: undefined });
    expect(existsSync(join(fleetDir, "local.yaml"))).toBe(true);
    expect(readFileSync(fleetFile(), "utf8")).toBe(
      FLEET_TEXT.replace("  - path: ./local.yaml\n", "").replace(
        "agents:\n  # written by hand\n",
        "agents: []\n",
      ),
    );
  });
});
