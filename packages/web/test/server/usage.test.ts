import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SeededJob, seedUsage } from "../helpers/usage-seed.js";
import { startWebFleet, type WebFleet } from "../helpers/web-fleet.js";

let f: WebFleet;
let seeded: SeededJob[];

beforeAll(async () => {
  f = await startWebFleet();
  seeded = seedUsage(f.stateDir);
});
afterAll(() => f.close());

const get = async (path: string) => {
  const res = await fetch(f.web.url + path, { headers: f.bearer });
  return {
    status: res.status,
    body: (await res.json()) as Record<string, unknown> & { error?: { code: string; message: string } },
  };
};

describe("GET /api/usage/report", () => {
  it("answers the last 30 days by default, and one agent's on request", async () => {
    const all = await get("/api/usage/report");
    expect(all.status).toBe(200);
    const totals = all.body.totals as { jobs: number; costUsd: number };
    expect(totals.jobs).toBe(seeded.length);
    expect(totals.costUsd).toBeCloseTo(
      seeded.reduce((n, j) => n + j.costUsd, 0),
      9,
    );
    const beta = await get("/api/usage/report?agent=beta");
    const agents = beta.body.agents as { agent: string; jobs: number }[];
    expect(agents).toEqual([
      expect.objectContaining({ agent: "beta", jobs: seeded.filter((j) => j.agent === "beta").length }),
    ]);
    const since = new Date(Date.parse(seeded[10]!.createdAt)).toISOString();
    const later = await get(`/api/usage/report?since=${encodeURIComponent(since)}`);
    expect((later.body.totals as { jobs: number }).jobs).toBe(seeded.length - 10);
  });

  it("refuses a bad query with a 400 naming the parameter", async () => {
    const cases: [string, RegExp][] = [
      ["since=yesterday", /^since: /],
      ["until=2026-13-01T00:00:00Z", /^until: /],
      ["since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z", /since: since must be before until/],
      ["since=2999-01-01T00:00:00Z", /since \(2999-01-01T00:00:00.000Z\) must be before until/],
      ["agnet=alpha", /agnet/],
      ["agent=../etc", /agent/i],
    ];
    for (const [query, message] of cases) {
      const r = await get(`/api/usage/report?${query}`);
      expect(r.status, query).toBe(400);
      expect(r.body.error?.message, query).toMatch(message);
    }
  });
});
