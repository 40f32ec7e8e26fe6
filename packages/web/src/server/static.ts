import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json; charset=utf-8",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
};

/** Pages of the single-page client: these paths get index.html, everything else unknown is 404. */
const CLIENT_ROUTE = /^\/(?:(?:agents|jobs|chats)(?:\/[A-Za-z0-9_.-]+)?\/?|usage\/?|approvals\/?)?$/;

export interface StaticFile {
  body: Uint8Array;
  type: string;
  immutable: boolean;
}

/** Where `npm run build` puts the client, from either src/server (tests) or dist/server. */
export function defaultClientDir(): string {
  return fileURLToPath(new URL("../../dist/client/", import.meta.url));
}

/**
 * The built client, read once into memory and looked up by exact URL path. No request path is
 * ever joined onto a directory, so `..`, encoded slashes and the like cannot reach the disk.
 */
export class StaticFiles {
  private readonly files = new Map<string, StaticFile>();

  constructor(readonly dir: string) {
    if (existsSync(join(dir, "index.html"))) this.load(dir);
  }

  get built(): boolean {
    return this.files.has("/index.html");
  }

  lookup(path: string): StaticFile | undefined {
    const file = this.files.get(path);
    if (file) return file;
    if (CLIENT_ROUTE.test(path)) return this.files.get("/index.html");
    return undefined;
  }

  private load(dir: string): void {
    for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const full = join(entry.parentPath, entry.name);
      const type = TYPES[extname(entry.name).toLowerCase()];
      if (!type || statSync(full).size > 20 * 1024 * 1024) continue;
      const urlPath = `/${relative(dir, full).split(sep).join("/")}`;
      this.files.set(urlPath, {
        body: readFileSync(full),
        type,
        // Vite puts a content hash in every name under assets/; index.html must stay fresh.
        immutable: urlPath.startsWith("/assets/"),
      });
    }
  }
}
