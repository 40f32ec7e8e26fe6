import { describe, expect, it } from "vitest";
import { DirectiveError, parseDirectiveLine, parseDirectives, stripDirectives } from "../src/index.js";

describe("parseDirectives", () => {
  it("reads every directive in order and ignores prose lines", () => {
    const prompt = [
      "Please do things.",
      "@standin write notes/a.md # Title\\n\\nbody\\\\n",
      "  @standin bash ls -la  /tmp",
      "@standin turns 2",
      "@standin text Done:\\tall good",
      "@standin delay 150",
      "@standin flaky 529",
      "@standin drop",
      "not @standin text ignored",
      "@standin error 429 Too many requests now",
    ].join("\n");
    expect(parseDirectives(prompt)).toEqual([
      { kind: "write", path: "notes/a.md", content: "# Title\n\nbody\\n" },
      { kind: "bash", command: "ls -la  /tmp" },
      { kind: "turns", count: 2 },
      { kind: "text", text: "Done:\tall good" },
      { kind: "delay", ms: 150 },
      { kind: "flaky", status: 529 },
      { kind: "drop" },
      { kind: "error", status: 429, message: "Too many requests now" },
    ]);
  });

  it("accepts an empty write and an error without message", () => {
    expect(parseDirectiveLine("@standin write empty.txt")).toEqual({
      kind: "write",
      path: "empty.txt",
      content: "",
    });
    expect(parseDirectiveLine("@standin error 500")).toEqual({ kind: "error", status: 500 });
    expect(parseDirectiveLine("@standin hang\r")).toEqual({ kind: "hang" });
    expect(parseDirectiveLine("@standin wakeup 90 look  again")).toEqual({
      kind: "wakeup",
      seconds: 90,
      prompt: "look  again",
    });
  });

  it.each([
    ["@standin", 'Invalid stand-in directive "@standin": missing directive name.'],
    [
      "@standin fly away",
      'Invalid stand-in directive "@standin fly away": unknown directive "fly"; use write, bash, turns, wakeup, text, delay, flaky, drop, error or hang.',
    ],
    [
      "@standin wakeup 60",
      'Invalid stand-in directive "@standin wakeup 60": wakeup needs a delay and a prompt: @standin wakeup <seconds> <prompt...>',
    ],
    [
      "@standin write",
      'Invalid stand-in directive "@standin write": write needs a path: @standin write <path> <content...>',
    ],
    [
      "@standin bash   ",
      'Invalid stand-in directive "@standin bash": bash needs a command: @standin bash <command...>',
    ],
    [
      "@standin turns two",
      'Invalid stand-in directive "@standin turns two": turns must be a whole number, got "two".',
    ],
    [
      "@standin turns 51",
      'Invalid stand-in directive "@standin turns 51": turns must be at most 50, got 51.',
    ],
    [
      "@standin delay -5",
      'Invalid stand-in directive "@standin delay -5": delay must be a whole number, got "-5".',
    ],
    [
      "@standin error 404",
      'Invalid stand-in directive "@standin error 404": status must be 429, 500 or 529, got "404".',
    ],
    ["@standin drop now", 'Invalid stand-in directive "@standin drop now": "drop" takes no arguments.'],
  ])("rejects %j", (line, message) => {
    const err = (() => {
      try {
        parseDirectives(line);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(DirectiveError);
    expect((err as DirectiveError).code).toBe("STANDIN_BAD_DIRECTIVE");
    expect((err as DirectiveError).message).toBe(message);
  });

  it("rejects directives after a terminal error or hang", () => {
    expect(() => parseDirectives("@standin hang\n@standin text never")).toThrow(
      'Invalid stand-in directive "@standin text never": nothing runs after "@standin hang"; move it to the end.',
    );
  });

  it("strips directive lines from the prompt", () => {
    expect(stripDirectives("Hello\n@standin text x\nworld")).toBe("Hello\nworld");
  });
});
