import { lstatSync } from "node:fs";

/**
 * A regular file or directory owned by this user that no other user may write (or, for a file,
 * read), and not a symbolic link: what the CLI's caches in the state directory (launch-cache.ts,
 * fleet-cache.ts) must be before they are read, since another local user is not trusted. Throws
 * when `path` does not exist.
 */
export function ownedPrivately(path: string): boolean {
  const stat = lstatSync(path);
  if (stat.isSymbolicLink() || (process.getuid && stat.uid !== process.getuid())) return false;
  return stat.isDirectory() ? (stat.mode & 0o022) === 0 : stat.isFile() && (stat.mode & 0o077) === 0;
}
