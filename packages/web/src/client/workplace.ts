/** Where the agent runs: its working directory on the host, mounted at /workspace in Docker. */
export interface Workplace {
  workingDirectory: string;
  docker: boolean;
}

/**
 * A tool's file path relative to the agent's working directory, or undefined when it lies
 * elsewhere (the server would refuse it anyway).
 */
export function relativePath(path: string, where: Workplace | undefined): string | undefined {
  if (!path.startsWith("/")) return path;
  if (!where) return undefined;
  for (const root of where.docker ? ["/workspace", where.workingDirectory] : [where.workingDirectory]) {
    const prefix = root.endsWith("/") ? root : `${root}/`;
    if (path.startsWith(prefix)) return path.slice(prefix.length);
  }
  return undefined;
}
