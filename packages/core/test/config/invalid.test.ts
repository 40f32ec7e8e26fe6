// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the YAML under test contains literal ${VAR} references
import { describe, expect, it } from "vitest";
import { ConfigError, loadFleet } from "../../src/config/index.js";
import { problems, writeFleet } from "./helpers.js";

const ONE_AGENT = "agents:\n  - path: agents/a.yaml\n";

/** A fleet with one agent file; `fleet` is appended to the fleet file after the agents list. */
function agentFleet(agent: string, fleet = ""): Record<string, string> {
  return { "herdctl.yaml": ONE_AGENT + fleet, "agents/a.yaml": agent };
}

interface Case {
  name: string;
  files: Record<string, string>;
  env?: NodeJS.ProcessEnv;
  expected: string[];
  /** Hint of the first issue, when the case is about what the user is told to do. */
  hint?: string;
}

const cases: Case[] = [
  {
    name: "unknown agent key, with the nearest valid key suggested",
    files: agentFleet("name: a\nmodle: claude-sonnet-4-5\n"),
    expected: ['agents/a.yaml:2:1 modle: unknown key "modle"'],
    hint: 'did you mean "model"?',
  },
  {
    name: "unknown fleet key",
    files: { "herdctl.yaml": "agnets:\n  - path: a.yaml\n" },
    expected: ['herdctl.yaml:1:1 agnets: unknown key "agnets"'],
    hint: 'did you mean "agents"?',
  },
  {
    name: "unknown nested schedule key",
    files: agentFleet("name: a\nschedules:\n  s:\n    type: interval\n    interval: 5m\n    promt: hi\n"),
    expected: ['agents/a.yaml:6:5 schedules.s.promt: unknown key "promt"'],
    hint: 'did you mean "prompt"?',
  },
  {
    name: "unknown key far from any valid one lists the valid keys",
    files: agentFleet("name: a\nsession: { zzzzzzz: 1 }\n"),
    expected: ['agents/a.yaml:2:12 session.zzzzzzz: unknown key "zzzzzzz"'],
    hint: "valid keys here: timeout, max_turns",
  },
  {
    name: "bad agent name",
    files: agentFleet('name: "my agent"\n'),
    expected: ['agents/a.yaml:1:7 name: "my agent" is not a valid agent name'],
    hint: "start with a letter or digit; then use only letters, digits, _ and -",
  },
  {
    name: "missing agent name",
    files: agentFleet("description: nameless\n"),
    expected: ["agents/a.yaml:1:1 name: is required but missing"],
  },
  {
    name: "bad duration in a schedule",
    files: agentFleet("name: a\nschedules:\n  poll: { type: interval, interval: 15 minutes }\n"),
    expected: ['agents/a.yaml:3:37 schedules.poll.interval: "15 minutes" is not a duration; use 15m'],
    hint: "a duration is a number followed by ms, s, m, h or d, e.g. 500ms, 30s, 15m, 2h, 1d",
  },
  {
    name: "duration written as a bare number",
    files: agentFleet("name: a\ntimeout: 600\n"),
    expected: ["agents/a.yaml:2:10 timeout: 600 is not a duration; use 600s or 600m"],
  },
  {
    name: "zero duration where a positive one is needed",
    files: agentFleet("name: a\nsession:\n  timeout: 0s\n"),
    expected: ['agents/a.yaml:3:12 session.timeout: "0s" must be longer than zero'],
  },
  {
    name: "bad cron expression",
    files: agentFleet('name: a\nschedules:\n  daily: { type: cron, cron: "61 * * * *" }\n'),
    expected: [
      'agents/a.yaml:3:30 schedules.daily.cron: "61 * * * *" is not a valid cron expression: CronPattern: Invalid value for minute: 61',
    ],
  },
  {
    name: "bad time zone",
    files: agentFleet(
      'name: a\nschedules:\n  daily: { type: cron, cron: "0 9 * * *", timezone: Mars/Olympus }\n',
    ),
    expected: ['agents/a.yaml:3:53 schedules.daily.timezone: "Mars/Olympus" is not a known time zone'],
  },
  {
    name: "interval schedule without an interval",
    files: agentFleet("name: a\nschedules:\n  poll:\n    type: interval\n"),
    expected: ["agents/a.yaml:3:3 schedules.poll.interval: an interval schedule needs an interval"],
    hint: "add interval: 15m (or another duration)",
  },
  {
    name: "cron schedule without a cron expression",
    files: agentFleet("name: a\nschedules:\n  daily: { type: cron }\n"),
    expected: ["agents/a.yaml:3:3 schedules.daily.cron: a cron schedule needs a cron expression"],
  },
  {
    name: "cron expression on an interval schedule",
    files: agentFleet('name: a\nschedules:\n  s: { type: interval, interval: 1h, cron: "0 * * * *" }\n'),
    expected: [
      "agents/a.yaml:3:44 schedules.s.cron: only cron schedules use a cron expression; this schedule is type interval",
    ],
  },
  {
    name: "session policy disagreeing with resume_session",
    files: agentFleet(
      "name: a\nschedules:\n  s: { type: interval, interval: 1h, resume_session: true, session: fresh }\n",
    ),
    expected: ["agents/a.yaml:3:69 schedules.s.session: session: fresh disagrees with resume_session: true"],
    hint: "keep one of them; session replaces resume_session",
  },
  {
    name: "max_context_tokens on a schedule that starts fresh",
    files: agentFleet(
      "name: a\nschedules:\n  s: { type: interval, interval: 1h, session: { max_context_tokens: 1000 } }\n",
    ),
    expected: [
      "agents/a.yaml:3:69 schedules.s.session.max_context_tokens: max_context_tokens only applies to a continued session; every fire of this schedule starts fresh",
    ],
  },
  {
    name: "unknown schedule type",
    files: agentFleet("name: a\nschedules:\n  s: { type: hourly }\n"),
    expected: ['agents/a.yaml:3:14 schedules.s.type: "hourly" is not one of: interval, cron, webhook'],
  },
  {
    name: "docker image in an agent file",
    files: agentFleet("name: a\ndocker:\n  enabled: true\n  image: evil/image\n"),
    expected: [
      'agents/a.yaml:4:3 docker.image: "image" can only be set in the fleet file: this agent file asks for ' +
        'image "evil/image"; the fleet\'s is "herdctl/runtime:latest"',
    ],
    hint:
      'move it to this agent\'s entry agents[0] in herdctl.yaml:2 as overrides: { docker: { image: "evil/image" } } ' +
      "(or to defaults.docker for every agent) and delete it here; agent files live where the agent can write, " +
      "so they may only repeat or narrow what the fleet file grants",
  },
  {
    name: "docker network, volumes and host_config in an agent file",
    files: agentFleet(
      'name: a\ndocker: { network: host, volumes: ["/:/host"], host_config: { Privileged: true } }\n',
    ),
    expected: [
      'agents/a.yaml:2:11 docker.network: "network" can only be set in the fleet file: this agent file asks ' +
        'for network "host"; the fleet\'s is "bridge"',
      'agents/a.yaml:2:26 docker.volumes: "volumes" can only be set in the fleet file: this agent file mounts ' +
        '"/:/host", which the fleet file does not',
      'agents/a.yaml:2:48 docker.host_config: "host_config" can only be set in the fleet file: this agent file ' +
        "sets host_config Privileged, which the fleet file does not set to the same value",
    ],
  },
  {
    name: "docker credentials in an agent file, wider than the fleet's",
    files: agentFleet(
      "name: a\ndocker: { enabled: true, credentials: env }\n",
      "defaults:\n  docker: { network: proxy-only, credentials: proxy }\n",
    ),
    expected: [
      'agents/a.yaml:2:26 docker.credentials: "credentials" can only be set in the fleet file: this agent file asks for credentials "env"; the fleet\'s is "proxy"',
    ],
  },
  {
    name: "credential proxy on a network that cannot reach it",
    files: agentFleet(
      "name: a\ndocker: { enabled: true }\n",
      "defaults:\n  docker: { network: none, credentials: proxy }\n",
    ),
    expected: [
      "herdctl.yaml:4:41 defaults.docker.credentials: proxy needs a way to herdctl's proxy and network none has none; set docker.network to proxy-only in the fleet file, which reaches the proxy and nothing else",
    ],
  },
  {
    name: "bad egress allowlist entries",
    files: agentFleet(
      "name: a\n",
      'defaults:\n  docker:\n    network: proxy-only\n    egress: { allow: ["https://github.com", "*.com", "ok.test:99999"] }\n',
    ),
    expected: [
      'herdctl.yaml:6:23 defaults.docker.egress.allow[0]: "https://github.com" is not a host name; write e.g. "github.com", "*.example.com" or "registry.example.com:8443"',
      'herdctl.yaml:6:45 defaults.docker.egress.allow[1]: "*.com" would allow a whole top-level domain; name a domain, e.g. "*.example.com"',
      'herdctl.yaml:6:54 defaults.docker.egress.allow[2]: "ok.test:99999" has port 99999; a port is 1 to 65535',
    ],
  },
  {
    name: "bad memory size in fleet defaults",
    files: agentFleet("name: a\n", "defaults:\n  docker: { memory: 2 gigs }\n"),
    expected: ['herdctl.yaml:4:21 defaults.docker.memory: "2 gigs" is not a memory size'],
    hint: "use a number with a unit, e.g. 512m or 2g",
  },
  {
    name: "bad memory size in an agent file",
    files: agentFleet("name: a\ndocker: { memory: lots }\n"),
    expected: ['agents/a.yaml:2:19 docker.memory: "lots" is not a memory size'],
  },
  {
    name: "bad volume",
    files: agentFleet("name: a\n", 'defaults:\n  docker:\n    volumes: ["/data:/data:rx", "relative"]\n'),
    expected: [
      'herdctl.yaml:5:15 defaults.docker.volumes[0]: "/data:/data:rx" is not a volume',
      'herdctl.yaml:5:33 defaults.docker.volumes[1]: "relative" is not a volume',
    ],
  },
  {
    name: "bad container user",
    files: agentFleet("name: a\n", "defaults:\n  docker: { user: root }\n"),
    expected: ['herdctl.yaml:4:19 defaults.docker.user: "root" is not a user'],
  },
  {
    name: "bad port binding in overrides",
    files: {
      "herdctl.yaml": "agents:\n  - path: agents/a.yaml\n    overrides:\n      docker: { ports: [http] }\n",
      "agents/a.yaml": "name: a\n",
    },
    expected: ['herdctl.yaml:4:25 agents[0].overrides.docker.ports[0]: "http" is not a port binding'],
  },
  {
    name: "bad docker network value",
    files: agentFleet("name: a\n", "defaults:\n  docker: { network: internet }\n"),
    expected: [
      'herdctl.yaml:4:22 defaults.docker.network: "internet" is not one of: none, bridge, host, proxy-only',
    ],
  },
  {
    name: "undefined variable in an agent file",
    files: agentFleet("name: a\nmodel: ${MODEL}\n"),
    expected: ["agents/a.yaml:2:8 model: environment variable MODEL is not set"],
    hint: "set MODEL, add it to the .env file beside the fleet file, or write ${MODEL:-default}",
  },
  {
    name: "undefined variable in the fleet file",
    files: agentFleet("name: a\n", "web:\n  auth_token_env: ${TOKEN_VAR}\n"),
    expected: ["herdctl.yaml:4:19 web.auth_token_env: environment variable TOKEN_VAR is not set"],
  },
  {
    name: "malformed variable reference",
    files: agentFleet('name: a\nsystem_prompt: "hello ${1X}"\n'),
    expected: ['agents/a.yaml:2:16 system_prompt: "${1X}" is not a valid variable reference'],
  },
  {
    name: "variable value that cannot become the expected number",
    files: agentFleet("name: a\n", "web:\n  port: ${PORT}\n"),
    env: { PORT: "eighty" },
    expected: ['herdctl.yaml:4:9 web.port: expected a number, got "eighty"'],
    hint: "this value came from an environment variable",
  },
  {
    name: "YAML syntax error in an agent file",
    files: agentFleet("name: a\nschedules:\n  poll: { type: interval\n"),
    expected: [
      "agents/a.yaml:4:1: Flow map in block collection must be sufficiently indented and end with a }",
    ],
  },
  {
    name: "YAML syntax error in the fleet file",
    files: { "herdctl.yaml": "agents:\n  - path: a.yaml\n bad: indent\n" },
    expected: ["herdctl.yaml:3:1: All mapping items must start at the same column"],
  },
  {
    name: "duplicate YAML key",
    files: agentFleet("name: a\nmodel: x\nmodel: y\n"),
    expected: ["agents/a.yaml:3:1: Map keys must be unique"],
    // No advice about quoting ${VAR} for a line that has none (docs/configuration.md once showed this).
    hint: "fix the YAML syntax",
  },
  {
    name: "missing agent file",
    files: {
      "herdctl.yaml": "agents:\n  - path: agents/a.yaml\n  - path: agents/gone.yaml\n",
      "agents/a.yaml": "name: a\n",
    },
    expected: ["herdctl.yaml:3:11 agents[1].path: agent file agents/gone.yaml does not exist"],
  },
  {
    name: "empty agent file",
    files: agentFleet(""),
    expected: ["agents/a.yaml:1:1: expected a mapping of keys to values; the file is empty"],
  },
  {
    name: "agent file that is a list",
    files: agentFleet("- name: a\n"),
    expected: ["agents/a.yaml:1:1: expected a mapping of keys to values; got a list"],
  },
  {
    name: "missing sub-fleet file",
    files: { "herdctl.yaml": "fleets:\n  - path: team/herdctl.yaml\n" },
    expected: ["herdctl.yaml:2:11 fleets[0].path: sub-fleet file team/herdctl.yaml does not exist"],
  },
  {
    name: "sub-fleet cycle through two fleets",
    files: {
      "herdctl.yaml": "fleets:\n  - path: a/herdctl.yaml\n",
      "a/herdctl.yaml": "fleets:\n  - path: ../b/herdctl.yaml\n",
      "b/herdctl.yaml": "fleet: { name: b }\nfleets:\n  - path: ../a/herdctl.yaml\n",
    },
    expected: [
      "b/herdctl.yaml:3:11 fleets[0].path: sub-fleet cycle: a/herdctl.yaml → b/herdctl.yaml → a/herdctl.yaml",
    ],
    hint: "a fleet cannot include itself, directly or through other fleets",
  },
  {
    name: "fleet that includes itself",
    files: { "herdctl.yaml": "fleets:\n  - path: ./herdctl.yaml\n    name: me\n" },
    expected: ["herdctl.yaml:2:11 fleets[0].path: sub-fleet cycle: herdctl.yaml → herdctl.yaml"],
  },
  {
    name: "duplicate agent names",
    files: {
      "herdctl.yaml": "agents:\n  - path: agents/a.yaml\n  - path: agents/b.yaml\n",
      "agents/a.yaml": "name: twin\n",
      "agents/b.yaml": "description: other\nname: twin\n",
    },
    expected: ['agents/b.yaml:2:7 name: agent name "twin" is already used by agents/a.yaml:1:7'],
  },
  {
    name: "two sub-fleets with the same name",
    files: {
      "herdctl.yaml":
        "fleets:\n  - path: x/herdctl.yaml\n    name: team\n  - path: y/herdctl.yaml\n    name: team\n",
      "x/herdctl.yaml": "agents: []\n",
      "y/herdctl.yaml": "agents: []\n",
    },
    expected: [
      'herdctl.yaml:5:11 fleets[1].name: sub-fleet name "team" is already used at herdctl.yaml:3:11',
    ],
  },
  {
    name: "sub-fleet whose own name cannot prefix agent names",
    files: {
      "herdctl.yaml": "fleets:\n  - path: x/herdctl.yaml\n",
      "x/herdctl.yaml": "fleet: { name: my.team }\n",
    },
    expected: ['herdctl.yaml:2:11 fleets[0].path: sub-fleet name "my.team" cannot prefix agent names'],
  },
  {
    name: "wrong type: text where a number belongs",
    files: agentFleet("name: a\nmax_turns: ten\n"),
    expected: ['agents/a.yaml:2:12 max_turns: expected a number, got "ten"'],
  },
  {
    name: "wrong type: text where a list belongs",
    files: agentFleet("name: a\nallowed_tools: Bash\n"),
    expected: ['agents/a.yaml:2:16 allowed_tools: expected a list, got "Bash"'],
  },
  {
    name: "wrong type: number in a string map",
    files: agentFleet("name: a\nenv:\n  RETRIES: 3\n"),
    expected: ["agents/a.yaml:3:12 env.RETRIES: expected text, got 3"],
  },
  {
    name: "wrong type: mapping where a boolean belongs",
    files: agentFleet("name: a\n", "web:\n  enabled: { yes: 1 }\n"),
    expected: ["herdctl.yaml:4:12 web.enabled: expected true or false, got a mapping"],
  },
  {
    name: "permission mode typo",
    files: agentFleet("name: a\npermission_mode: acceptEdit\n"),
    expected: [
      'agents/a.yaml:2:18 permission_mode: "acceptEdit" is not one of: default, acceptEdits, bypassPermissions, plan, dontAsk, auto, manual',
    ],
    hint: 'did you mean "acceptEdits"?',
  },
  {
    // The reference herdctl listed delegate; the installed claude and SDK no longer accept it.
    name: "permission mode the installed claude does not accept",
    files: agentFleet("name: a\npermission_mode: delegate\n"),
    expected: [
      'agents/a.yaml:2:18 permission_mode: "delegate" is not one of: default, acceptEdits, bypassPermissions, plan, dontAsk, auto, manual',
    ],
  },
  {
    name: "MCP tool-call timeout shorter than claude accepts, and a bad alwaysLoad",
    files: agentFleet(
      "name: a\nmcp_servers:\n  files: { command: srv, timeout: 500 }\n  web: { type: http, url: https://x.test/mcp, alwaysLoad: yes please }\n",
    ),
    expected: [
      "agents/a.yaml:3:35 mcp_servers.files.timeout: 500 ms is shorter than claude accepts (at least 1000 ms); claude would ignore it",
      'agents/a.yaml:4:59 mcp_servers.web.alwaysLoad: expected true or false, got "yes please"',
    ],
  },
  {
    name: "unknown runtime",
    files: agentFleet("name: a\nruntime: docker\n"),
    expected: ['agents/a.yaml:2:10 runtime: "docker" is not one of: sdk, cli'],
  },
  {
    name: "bad hooks: unknown type and a URL that is not http",
    files: agentFleet(
      "name: a\nhooks:\n  after_run:\n    - { type: shel, command: x }\n    - { type: webhook, url: ftp://x }\n",
    ),
    expected: [
      'agents/a.yaml:4:15 hooks.after_run[0].type: "shel" is not one of: shell, webhook, discord, slack',
      'agents/a.yaml:5:29 hooks.after_run[1].url: "ftp://x" is not an http(s) URL',
    ],
  },
  {
    name: "bad Slack section and hook: a token for a variable name, ids that are not Slack's, an unknown mode",
    files: agentFleet(
      "name: a\nchat:\n  slack:\n    bot_token_env: xoxb-1234-abcd\n    channels:\n      - { id: general, mode: always }\n" +
        "    dm: { allowlist: [alice] }\nhooks:\n  on_error:\n    - { type: slack, channel_id: C0123, bot_token_env: SLACK TOKEN }\n",
    ),
    expected: [
      'agents/a.yaml:4:20 chat.slack.bot_token_env: "xoxb-1234-abcd" is not an environment variable name',
      'agents/a.yaml:6:15 chat.slack.channels[0].id: "general" is not a Slack channel id',
      'agents/a.yaml:6:30 chat.slack.channels[0].mode: "always" is not one of: mention, auto',
      'agents/a.yaml:7:23 chat.slack.dm.allowlist[0]: "alice" is not a Slack member id',
      'agents/a.yaml:10:56 hooks.on_error[0].bot_token_env: "SLACK TOKEN" is not an environment variable name',
    ],
  },
  {
    name: "MCP server of type sse without a url",
    files: agentFleet("name: a\nmcp_servers:\n  docs: { type: sse }\n"),
    expected: ["agents/a.yaml:3:3 mcp_servers.docs.url: is required but missing"],
  },
  {
    name: "unsupported fleet version",
    files: { "herdctl.yaml": "version: 2\n" },
    expected: ["herdctl.yaml:1:10 version: 2 is not one of: 1"],
  },
  {
    name: "port out of range",
    files: { "herdctl.yaml": "web: { port: 70000 }\n" },
    expected: ["herdctl.yaml:1:14 web.port: must be at most 65535, got 70000"],
  },
  {
    name: "bad value in defaults is reported once, at the defaults line, for every agent",
    files: {
      "herdctl.yaml": "defaults:\n  max_turns: 0\nagents:\n  - path: a.yaml\n  - path: b.yaml\n",
      "a.yaml": "name: a\n",
      "b.yaml": "name: b\n",
    },
    expected: ["herdctl.yaml:2:14 defaults.max_turns: must be greater than 0, got 0"],
  },
  {
    name: "unknown key in agent overrides",
    files: {
      "herdctl.yaml": "agents:\n  - path: a.yaml\n    overrides:\n      modle: x\n",
      "a.yaml": "name: a\n",
    },
    expected: ['herdctl.yaml:4:7 agents[0].overrides.modle: unknown key "modle"'],
  },
  {
    name: "agent reference without a path",
    files: { "herdctl.yaml": "agents:\n  - overrides: { model: x }\n" },
    expected: ["herdctl.yaml:2:5 agents[0].path: is required but missing"],
  },
  {
    name: "zero max_concurrent and a bad catch_up policy",
    files: agentFleet(
      "name: a\ninstances: { max_concurrent: 0 }\nschedules:\n  s: { type: interval, interval: 1h, catch_up: all }\n",
    ),
    expected: [
      "agents/a.yaml:2:30 instances.max_concurrent: must be greater than 0, got 0",
      'agents/a.yaml:4:48 schedules.s.catch_up: "all" is not one of: latest, none',
    ],
  },
  {
    name: "several errors at once, across every file",
    files: {
      "herdctl.yaml": "fleet: { nam: x }\nagents:\n  - path: a.yaml\n  - path: b.yaml\n  - path: c.yaml\n",
      "a.yaml": "name: a\nmax_turns: -1\nrunttime: cli\n",
      "b.yaml": "name: b\nschedules:\n  p: { type: interval, interval: 5 mins }\n",
      "c.yaml": "name: [c\n",
    },
    expected: [
      'herdctl.yaml:1:10 fleet.nam: unknown key "nam"',
      "a.yaml:2:12 max_turns: must be greater than 0, got -1",
      'a.yaml:3:1 runttime: unknown key "runttime"',
      'b.yaml:3:34 schedules.p.interval: "5 mins" is not a duration; use 5m',
      "c.yaml:2:1: Flow sequence in block collection must be sufficiently indented and end with a ]",
    ],
  },
];

describe("invalid configurations", () => {
  it("has a corpus of at least 35 cases", () => {
    expect(cases.length).toBeGreaterThanOrEqual(35);
  });

  it.each(cases)("$name", async ({ files, env, expected, hint }) => {
    const dir = writeFleet(files);
    expect(await problems(dir, env)).toEqual(expected);
    if (hint !== undefined) {
      const error = (await loadFleet(dir, { env: env ?? {} }).catch((e: unknown) => e)) as ConfigError;
      expect(error.issues[0]?.hint).toBe(hint);
    }
  });

  it("lists every problem in the error message, with hints", async () => {
    const dir = writeFleet(agentFleet("name: a\nmodle: x\nmax_turns: ten\n"));
    const error = (await loadFleet(dir, { env: {} }).catch((e: unknown) => e)) as ConfigError;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.message).toBe(
      "Invalid herdctl configuration (2 problems); fix these and run again:\n" +
        '  agents/a.yaml:2:1 modle: unknown key "modle"\n' +
        '    hint: did you mean "model"?\n' +
        '  agents/a.yaml:3:12 max_turns: expected a number, got "ten"',
    );
  });

  it("reports a missing fleet folder or file", async () => {
    const dir = writeFleet({ "readme.txt": "" });
    await expect(loadFleet(dir, { env: {} })).rejects.toThrow(
      "no herdctl.yaml or herdctl.yml in this folder",
    );
    await expect(loadFleet(`${dir}/nope.yaml`, { env: {} })).rejects.toThrow("no such file or folder");
  });
});
