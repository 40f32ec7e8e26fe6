// One process competing for leadership, as a daemon would: prints a JSON line for each change
// (`{ "event": "elected" | "lost" | "unreachable" | "leader" , "at": epoch ms, ... }`).
// Usage: node leader-child.mjs <postgres-url> <name> <intervalMs> <leaseMs>
import { LeaderLock } from "../../dist/cluster/leader-lock.js";

const [url, name, intervalMs, leaseMs] = process.argv.slice(2);
const say = (event, extra = {}) =>
  process.stdout.write(`${JSON.stringify({ event, at: Date.now(), ...extra })}\n`);

const lock = new LeaderLock({
  connectionString: url,
  name,
  intervalMs: Number(intervalMs),
  leaseMs: Number(leaseMs),
  onElected: () => say("elected"),
  onLost: (reason) => say("lost", { reason }),
  onUnreachable: (reason) => say("unreachable", { reason }),
});
lock.start();
say("started");

// What a scheduler would see when it asks before each fire: every change of `isLeader`.
let leader = false;
setInterval(() => {
  if (lock.isLeader !== leader) {
    leader = lock.isLeader;
    say("leader", { value: leader });
  }
}, 20);
process.on("SIGTERM", () => lock.stop().then(() => process.exit(0)));
