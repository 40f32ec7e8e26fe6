import { describe, expect, it } from "vitest";
import {
  DIRECTIVE_HELP,
  parseStandinArgs,
  runStandinCommand,
  type Standin,
  UsageError,
} from "../src/index.js";
import { post } from "./helpers.js";

describe("parseStandinArgs", () => {
  it("reads --port and --host in both spellings", () => {
    expect(parseStandinArgs([])).toEqual({ port: 0, host: "127.0.0.1", help: false });
    expect(parseStandinArgs(["--port", "4010"])).toEqual({ port: 4010, host: "127.0.0.1", help: false });
    expect(parseStandinArgs(["--port=0", "--host=localhost", "-h"])).toEqual({
      port: 0,
      host: "localhost",
      help: true,
    });
  });

  it.each([
    [["--port"], "--port needs a value. Usage: herdctl standin [--port <port>] [--host <host>]"],
    [["--port", "http"], '--port must be a number from 0 to 65535, got "http".'],
    [["--port", "70000"], '--port must be a number from 0 to 65535, got "70000".'],
    [["--verbose"], 'Unknown argument "--verbose". Usage: herdctl standin [--port <port>] [--host <host>]'],
  ])("rejects %j", (argv, message) => {
    expect(() => parseStandinArgs(argv)).toThrow(new UsageError(message));
  });
});

describe("runStandinCommand", () => {
  it("--help prints usage and the directive reference without listening", async () => {
    const output: string[] = [];
    let listened = false;
    const code = await runStandinCommand(["--help"], {
      write: (t) => output.push(t),
      onListening: () => {
        listened = true;
      },
    });
    expect(code).toBe(0);
    expect(listened).toBe(false);
    expect(output.join("")).toBe(
      `Usage: herdctl standin [--port <port>] [--host <host>]\n\n${DIRECTIVE_HELP}\n`,
    );
    expect(DIRECTIVE_HELP).toContain("@standin error <429|500|529> [msg]");
  });

  it("prints the URL, serves the offline responder, and stops on abort", async () => {
    const output: string[] = [];
    const abort = new AbortController();
    let standin: Standin | undefined;
    const done = runStandinCommand([], {
      write: (t) => output.push(t),
      signal: abort.signal,
      onListening: (s) => {
        standin = s;
      },
    });
    await new Promise<void>((r) => {
      const poll = () => (standin ? r() : setTimeout(poll, 10));
      poll();
    });
    expect(output[0]).toMatch(/^herdctl stand-in listening on http:\/\/127\.0\.0\.1:\d+\n/);
    expect(output[0]).toContain(standin!.url);
    const res = await post(standin!.url, "/v1/messages", {
      max_tokens: 10,
      messages: [{ role: "user", content: "@standin text pong" }],
    });
    expect((await res.json()).content[0].text).toBe("pong");
    abort.abort();
    expect(await done).toBe(0);
    expect(output.at(-1)).toBe("herdctl stand-in stopped after 1 requests.\n");
    await expect(fetch(standin!.url)).rejects.toThrow("fetch failed");
  });
});
