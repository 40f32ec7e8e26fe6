// The two ends around the egress proxy in bench/egress.ts, each in a process of its own as they
// would be (a remote server; a client in the container), so neither shares the proxy's event loop:
//   node egress-peer.mjs server                → prints {"port":N}, serves until stdin closes.
//   EGRESS_PEER_JOB='<job JSON>' node egress-peer.mjs client   → one JSON line on stdout.
// (The job carries a proxy token: in the environment, not on a command line others can list.)
// A job: {"task":"bulk","kind":"direct"|"tunnel"|"plain","bytes":N,"port":P,"socketPath":S,"auth":A,"host":H}
//     or {"task":"rtt","count":N,"batch":B,...}: round trips on one connection per kind, in turns.
import { connect, createServer } from "node:net";

const CHUNK = Buffer.alloc(1024 * 1024, 0x78);
const PONG = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\npong";

/**
 * A bare HTTP/1.1 server, so its own cost is the same on every path. GET /bulk?bytes=N streams N
 * bytes and closes; GET /ping answers "pong" and keeps the connection. Half-open: a client that
 * has sent its request and closed its side still gets the whole answer.
 */
function serve() {
  const server = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
    socket.on("error", () => socket.destroy());
    let pending = "";
    let streaming = false;
    socket.on("data", (chunk) => {
      pending += chunk.toString("latin1");
      for (let end = pending.indexOf("\r\n\r\n"); end !== -1; end = pending.indexOf("\r\n\r\n")) {
        const head = pending.slice(0, end);
        pending = pending.slice(end + 4);
        const bulk = /^GET \S*\/bulk\?bytes=(\d+) /.exec(head);
        if (bulk) {
          streaming = true;
          streamBulk(socket, Number(bulk[1]));
          return;
        }
        socket.write(PONG);
      }
    });
    socket.on("end", () => {
      if (!streaming) socket.end();
    });
  });
  server.listen(0, "127.0.0.1", () => console.log(JSON.stringify({ port: server.address().port })));
  process.stdin.resume();
  process.stdin.once("end", () => process.exit(0));
}

function streamBulk(socket, bytes) {
  socket.write(
    `HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: ${bytes}\r\nConnection: close\r\n\r\n`,
  );
  let left = bytes;
  const pump = () => {
    while (left > 0) {
      const piece = left >= CHUNK.length ? CHUNK : CHUNK.subarray(0, left);
      left -= piece.length;
      if (!socket.write(piece)) return void socket.once("drain", pump);
    }
    socket.end();
  };
  pump();
}

/** Reads one response head and its Content-Length body at a time from a connection that stays open. */
function responses(socket) {
  let buffer = Buffer.alloc(0);
  let waiting;
  socket.on("data", (chunk) => {
    buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
    waiting?.();
  });
  socket.once("close", () => waiting?.());
  return async () => {
    for (;;) {
      const end = buffer.indexOf("\r\n\r\n");
      if (end !== -1) {
        const head = buffer.subarray(0, end).toString("latin1");
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (buffer.length >= end + 4 + length) {
          buffer = buffer.subarray(end + 4 + length);
          return Number(head.split(" ", 2)[1]);
        }
      }
      if (socket.destroyed) throw new Error("the connection closed before a whole response arrived");
      await new Promise((resolve) => {
        waiting = resolve;
      });
      waiting = undefined;
    }
  };
}

function open(to) {
  return new Promise((resolve, reject) => {
    const socket = connect(to);
    socket.setNoDelay(true);
    socket.once("connect", () => resolve(socket));
    socket.once("error", reject);
  });
}

/** A connection to the server: direct, through a CONNECT tunnel, or to the proxy for plain requests. */
async function connection(kind, job) {
  if (kind === "direct") {
    const socket = await open({ port: job.port, host: "127.0.0.1" });
    return { socket, next: responses(socket), target: "" };
  }
  const socket = await open({ path: job.socketPath });
  const next = responses(socket);
  if (kind === "plain") return { socket, next, target: `http://${job.host}:${job.port}`, auth: job.auth };
  socket.write(
    `CONNECT ${job.host}:${job.port} HTTP/1.1\r\nHost: ${job.host}:${job.port}\r\nProxy-Authorization: ${job.auth}\r\n\r\n`,
  );
  const status = await next();
  if (status !== 200) throw new Error(`the egress proxy answered CONNECT with ${status}`);
  return { socket, next, target: "" };
}

function request(job, path, c, close = false) {
  return (
    `GET ${c.target}${path} HTTP/1.1\r\nHost: ${job.host}\r\n` +
    (c.auth ? `Proxy-Authorization: ${c.auth}\r\n` : "") +
    (close ? "Connection: close\r\n" : "") +
    "\r\n"
  );
}

/** MB/s of one transfer, from the request's write to the connection's close. */
async function bulk(job) {
  const c = await connection(job.kind, job);
  c.socket.removeAllListeners("data");
  let received = 0;
  c.socket.on("data", (chunk) => {
    received += chunk.length;
  });
  const closed = new Promise((resolve) => c.socket.once("close", resolve));
  const t0 = performance.now();
  c.socket.write(request(job, `/bulk?bytes=${job.bytes}`, c, true));
  await closed;
  const seconds = (performance.now() - t0) / 1000;
  if (received < job.bytes) throw new Error(`${job.kind}: ${received} of ${job.bytes} bytes arrived`);
  return { mbps: job.bytes / 1024 / 1024 / seconds };
}

/** Milliseconds per round trip, each kind on its own kept-alive connection, in alternating batches. */
async function roundTrips(job) {
  const kinds = ["direct", "tunnel", "plain"];
  const conns = await Promise.all(kinds.map((kind) => connection(kind, job)));
  const times = Object.fromEntries(kinds.map((kind) => [kind, []]));
  for (let done = 0; done < job.count; done += job.batch) {
    for (const [i, kind] of kinds.entries()) {
      const c = conns[i];
      for (let n = 0; n < job.batch; n++) {
        const t0 = performance.now();
        c.socket.write(request(job, "/ping", c));
        const status = await c.next();
        times[kind].push(performance.now() - t0);
        if (status !== 200) throw new Error(`${kind} round trip answered ${status}`);
      }
    }
  }
  for (const c of conns) c.socket.destroy();
  return times;
}

if (process.argv[2] === "server") serve();
else {
  const job = JSON.parse(process.env.EGRESS_PEER_JOB ?? "{}");
  const result = job.task === "bulk" ? await bulk(job) : await roundTrips(job);
  console.log(JSON.stringify(result));
  process.exit(0);
}
