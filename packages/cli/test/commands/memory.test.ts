import type { ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, herdctl, json, tempDir } from "../helpers/cli.js";
import { startDaemon, stopDaemon } from "../helpers/daemon.js";

interface Version {
  version: number;
  content: string;
  bytes: number;
  source: string;
  actor: string | null;
}

let dir: string;
let remove: () => Promise<void>;
let editor: string;

beforeAll(async () => {
  assertBuilt();
  ({ dir, remove } = await tempDir("herdctl-memory-"));
  await mkdir(join(dir, "agents"), { recursive: true });
  await mkdir(join(dir, "workspace"), { recursive: true });
  await writeFile(
    join(dir, "herdctl.yaml"),
    "version: 1\nfleet: { name: remembering }\nagents:\n  - path: ./agents/keeper.yaml\n  - path: ./agents/plain.yaml\n",
  );
  await writeFile(
    join(dir, "agents", "keeper.yaml"),
    "name: keeper\nworking_directory: ../workspace\nmemory: { max_bytes: 300 }\n",
  );
  await writeFile(join(dir, "agents", "plain.yaml"), "name: plain\nworking_directory: ../workspace\n");
  // The editor appends the line in $EDIT_LINE to the file it is given (its last argument).
  editor = join(dir, "editor.sh");
  await writeFile(editor, '#!/bin/sh\nfor f; do :; done\nprintf "%s\\n" "$EDIT_LINE" >> "$f"\n');
  await chmod(editor, 0o755);
});
afterAll(() => remove());

const edit = (line: string, extra: Record<string, string> = {}) =>
  herdctl(["memory", "keeper", "--edit"], { cwd: dir, env: { EDITOR: editor, EDIT_LINE: line, ...extra } });

describe("herdctl memory", () => {
  it("edits through $EDITOR without a daemon, keeps versions, and refuses what memory cannot hold", async () => {
    expect(await herdctl(["memory", "keeper"], { cwd: dir })).toMatchObject({
      code: 0,
      stdout: "",
      stderr: expect.stringContaining("agent keeper has no notes yet"),
    });
    // $EDITOR's words are arguments, never shell: "$(touch pwned)" stays two harmless words.
    const first = await edit("watch issue 41", { EDITOR: `${editor} $(touch ${join(dir, "pwned")})` });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toBe("stored version 1 of keeper's notes (15 bytes)\n");
    expect(existsSync(join(dir, "pwned"))).toBe(false);
    expect((await edit("and issue 42")).stdout).toBe("stored version 2 of keeper's notes (28 bytes)\n");
    expect((await herdctl(["memory", "keeper"], { cwd: dir })).stdout).toBe("watch issue 41\nand issue 42\n");
    expect((await herdctl(["memory", "keeper", "--show", "1"], { cwd: dir })).stdout).toBe(
      "watch issue 41\n",
    );
    const versions = json<{ versions: Version[] }>(
      await herdctl(["--json", "memory", "keeper", "--versions"], { cwd: dir }),
    ).versions;
    expect(versions.map((v) => [v.version, v.bytes, v.source])).toEqual([
      [2, 28, "edit"],
      [1, 15, "edit"],
    ]);
    expect((await herdctl(["memory", "keeper", "--versions"], { cwd: dir })).stdout).toMatch(
      /^VERSION\s+WHEN/,
    );

    const tooBig = await edit("y".repeat(400));
    expect(tooBig.code).toBe(1);
    expect(tooBig.stderr).toContain(
      "the notes are 429 bytes; agent keeper keeps at most 300 (memory.max_bytes): shorten them or raise the cap",
    );
    const off = await herdctl(["memory", "plain", "--edit"], {
      cwd: dir,
      env: { EDITOR: editor, EDIT_LINE: "x" },
    });
    expect(off.code).toBe(1);
    expect(off.stderr).toContain(
      "agent plain does not keep memory; set memory: true in its file to give it notes",
    );
    const missing = await herdctl(["memory", "keeper", "--show", "9"], { cwd: dir });
    expect(missing.stderr).toContain("agent keeper has no notes version 9; versions run from 1 to 2");
    expect((await herdctl(["memory", "keeper", "--show", "x"], { cwd: dir })).code).toBe(2);
  });

  describe("with a daemon running", () => {
    let daemon: ChildProcess;
    beforeAll(async () => {
      daemon = await startDaemon(dir);
    });
    afterAll(() => stopDaemon(daemon));

    it("stores the edit through the daemon, which audits it with the actor", async () => {
      const result = await edit("seen by the daemon");
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toBe("stored version 3 of keeper's notes (47 bytes)\n");
      const view = json<{ enabled: boolean; maxBytes: number; current: Version; file: string }>(
        await herdctl(["--json", "memory", "keeper"], { cwd: dir }),
      );
      expect(view).toMatchObject({ enabled: true, maxBytes: 300, file: "HERDCTL_MEMORY.md" });
      expect(view.current).toMatchObject({
        version: 3,
        content: "watch issue 41\nand issue 42\nseen by the daemon\n",
      });
      expect(view.current.actor).toMatch(/^cli:/);
      const { entries } = json<{
        entries: Array<{ action: string; via: string; target: string; detail: unknown }>;
      }>(await herdctl(["--json", "audit"], { cwd: dir }));
      const edits = entries.filter((e) => e.action === "memory.edit");
      expect(edits.map((e) => [e.target, JSON.parse(e.detail as string)])).toEqual([
        ["keeper", { version: 3, bytes: 47 }],
        ["keeper", { version: 2, bytes: 28 }],
        ["keeper", { version: 1, bytes: 15 }],
      ]);
      expect(edits[0]!.via).toBe("cli");
    });
  });
});
