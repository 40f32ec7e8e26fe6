import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgentInstallError } from "../../src/agent-install/errors.js";
import { parseAgentSource } from "../../src/agent-install/source.js";

describe("agent sources", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "herdctl-agent-source-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const bad = (input: string): string => {
    try {
      parseAgentSource(input, dir);
    } catch (error) {
      expect(error).toBeInstanceOf(AgentInstallError);
      expect((error as AgentInstallError).code).toBe("AGENT_BAD_REQUEST");
      return (error as Error).message;
    }
    throw new Error(`${input} was accepted`);
  };

  it("github:owner/repo[#ref] is fetched over https from github.com", () => {
    expect(parseAgentSource("github:acme/triager#v1.2", dir)).toEqual({
      url: "https://github.com/acme/triager.git",
      repository: "github:acme/triager",
      display: "github:acme/triager#v1.2",
      ref: "v1.2",
      local: false,
    });
    expect(parseAgentSource("github:acme/triager.git", dir).url).toBe("https://github.com/acme/triager.git");
    expect(bad("github:acme")).toBe('source: "github:acme" is not github:owner/repo');
  });

  it("a URL with credentials is fetched with them and shown and recorded without", () => {
    const source = parseAgentSource("https://bot:s3cret@git.example.com/a/b.git#main", dir);
    expect(source.url).toBe("https://bot:s3cret@git.example.com/a/b.git");
    expect(source.display).toBe("https://git.example.com/a/b.git#main");
    expect(source.repository).not.toContain("s3cret");
  });

  it("a path is resolved and fetched through git's file transport", () => {
    const source = parseAgentSource(".", dir);
    expect(source).toMatchObject({ url: `file://${dir}`, repository: dir, local: true });
    expect(parseAgentSource(`file://${dir}#abc123`, dir)).toMatchObject({ local: true, ref: "abc123" });
    expect(bad("./missing")).toContain(`${join(dir, "missing")} is not a folder`);
  });

  it("transports that can run commands, and refs that look like options, are refused", () => {
    expect(bad("ext::sh -c touch% /tmp/pwned")).toContain('"ext::" transports are not supported');
    expect(bad("fd::3")).toContain('"fd::" transports are not supported');
    expect(bad("ftp://example.com/a.git")).toContain("ftp:// sources are not supported");
    expect(bad("github:acme/x#--upload-pack=touch")).toContain('"#--upload-pack=touch" is not a branch');
    expect(bad("github:acme/x#a..b")).toContain("is not a branch, tag or commit name");
  });
});
