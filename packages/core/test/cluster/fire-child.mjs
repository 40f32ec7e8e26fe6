// One scheduler racing another for the same 1,000 fires: waits for a line on stdin (so both
// start together), fires each through fireOnce, enqueuing into test_enqueued in the same
// transaction, and prints `{ "won": n }`.
// Usage: node fire-child.mjs <postgres-url> <name> <fires>
import pg from "pg";
import { ensureFireKeys, fireOnce } from "../../dist/cluster/fire-keys.js";

const [url, name, fires] = process.argv.slice(2);
// Four connections a process, each taking the next fire, as a scheduler with a pool would.
const LANES = 4;
const clients = Array.from({ length: LANES }, () => new pg.Client({ connectionString: url }));
await Promise.all(clients.map((c) => c.connect()));
await ensureFireKeys(clients[0]);
process.stdout.write("ready\n");
await new Promise((resolve) => process.stdin.once("data", resolve));

const base = Date.UTC(2026, 11, 2);
let next = 0;
let won = 0;
async function lane(client) {
  for (let i = next++; i < Number(fires); i = next++) {
    const fire = { agent: `agent-${i % 10}`, schedule: "poll", plannedAt: new Date(base + i * 60_000) };
    const fired = await fireOnce(client, fire, name, (tx) =>
      tx.query(
        "insert into test_enqueued (agent, schedule, planned_at, enqueued_by) values ($1, $2, $3, $4)",
        [fire.agent, fire.schedule, fire.plannedAt, name],
      ),
    );
    if (fired) won++;
  }
}
await Promise.all(clients.map(lane));
await Promise.all(clients.map((c) => c.end()));
process.stdout.write(`${JSON.stringify({ won })}\n`);
