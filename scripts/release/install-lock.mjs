/**
 * The package-lock.json of a folder that installs the release tarballs, cut from the repository's
 * own lock: each tarball (resolved to its file, with its integrity) and every registry package
 * they need, at the versions and integrity hashes CI tested, with its registry tarball address.
 * With it, `npm install --offline ./herdctl-*.tgz` (or `npm ci --offline`) in the folder installs
 * from npm's cache alone: npm takes each tarball from its cache by integrity and, since the lock
 * already says which version each dependency is and where its tarball is, never asks the
 * registry for metadata (which the cache may not hold).
 */

/** Flags that describe the repository's tree (its development tools), not an install of the tarballs. */
const REPO_FLAGS = ["dev", "devOptional", "peer", "extraneous"];

/**
 * @param {{ packages: Record<string, any> }} lock the repository's package-lock.json
 * @param {Array<{ workspace: string, file: string, integrity: string }>} tarballs one per packed
 *   workspace package: its folder in the lock (e.g. "packages/cli"), tarball file name, integrity
 * @param {Record<string, boolean>} scripts the repository's `allowScripts`: whether each
 *   dependency's install script runs (by name)
 * @returns {{ manifest: object, lock: object }} the install folder's package.json and package-lock.json
 */
export function installLock(lock, tarballs, scripts) {
  const packages = {};
  const place = (path, entry) => {
    if (packages[path] && JSON.stringify(packages[path]) !== JSON.stringify(entry))
      throw new Error(`release lock: two different packages at ${path}`);
    packages[path] = entry;
  };

  const dependencies = {};
  const needed = []; // [package, workspace package it depends on]
  for (const { workspace, file, integrity } of tarballs) {
    const ws = lock.packages[workspace];
    if (!ws) throw new Error(`package-lock.json has no "${workspace}"; run \`npm install\` to update it`);
    dependencies[ws.name] = `file:${file}`;
    place(`node_modules/${ws.name}`, {
      version: ws.version,
      resolved: `file:${file}`,
      integrity,
      ...pick(ws, ["license", "bin", "engines", "dependencies", "optionalDependencies", "peerDependencies"]),
    });
    const { found, workspaceDeps } = closure(lock, workspace);
    needed.push(...workspaceDeps.map((name) => [ws.name, name]));
    for (const at of found) {
      const entry = { ...lock.packages[at] };
      for (const flag of REPO_FLAGS) delete entry[flag];
      entry.resolved ??= registryTarball(
        entry.name ?? at.slice(at.lastIndexOf("node_modules/") + "node_modules/".length),
        entry.version,
      );
      // A dependency nested under the workspace folder goes under the installed package instead.
      place(
        at.startsWith(`${workspace}/`) ? `node_modules/${ws.name}/${at.slice(workspace.length + 1)}` : at,
        entry,
      );
    }
  }
  for (const [from, name] of needed)
    if (!dependencies[name]) throw new Error(`release lock: ${from} needs ${name}, which is not packed`);

  // Sorted as npm writes them, so that installing the tarballs in the folder leaves it unchanged.
  const sortedDeps = Object.fromEntries(Object.entries(dependencies).sort(([a], [b]) => a.localeCompare(b)));
  const manifest = {
    name: "herdctl-release",
    private: true,
    dependencies: sortedDeps,
    allowScripts: allowScripts(packages, scripts),
  };
  const sorted = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => a.localeCompare(b)));
  return {
    manifest,
    lock: {
      name: manifest.name,
      lockfileVersion: 3,
      requires: true,
      packages: { "": { name: manifest.name, dependencies: sortedDeps }, ...sorted },
    },
  };
}

/**
 * The release's `allowScripts`, which npm 11 reads to decide whether a dependency's install script
 * runs (it warns about every install script not listed, and `--strict-allow-scripts` refuses them):
 * the repository's decision for each locked package that has one, approvals pinned to the locked
 * version, denials by name.
 */
function allowScripts(packages, scripts) {
  const policy = {};
  for (const [path, entry] of Object.entries(packages)) {
    if (!entry.hasInstallScript) continue;
    const name = path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length);
    const allowed = scripts[name];
    if (typeof allowed !== "boolean")
      throw new Error(
        `release lock: ${name}@${entry.version} has an install script; decide whether it runs in package.json's "allowScripts" (npm install-scripts approve|deny ${name})`,
      );
    policy[allowed ? `${name}@${entry.version}` : name] = allowed;
  }
  return Object.fromEntries(Object.entries(policy).sort(([a], [b]) => a.localeCompare(b)));
}

/** The lock paths of every registry package a workspace package needs, and the workspace packages it needs. */
function closure(lock, workspace) {
  const found = new Set();
  const workspaceDeps = [];
  const pending = [[workspace, runtimeDeps(lock.packages[workspace], false)]];
  while (pending.length > 0) {
    const [from, deps] = pending.pop();
    for (const [name, optional] of deps) {
      const at = locate(lock, from, name);
      if (at === undefined) {
        if (optional) continue;
        throw new Error(
          `package-lock.json: "${name}", needed by ${from}, is not installed; run \`npm install\``,
        );
      }
      // Another workspace package: installed from its own tarball, which must be packed too.
      if (lock.packages[at].link) workspaceDeps.push(name);
      if (lock.packages[at].link || found.has(at)) continue;
      found.add(at);
      pending.push([at, runtimeDeps(lock.packages[at], true)]);
    }
  }
  return { found, workspaceDeps };
}

/**
 * The registry's tarball address of a package. The repository's lock leaves it out
 * (`omit-lockfile-registry-resolved`), but without it npm must read the package's registry
 * metadata to find the tarball, and offline that metadata is only in the cache if an earlier
 * install happened to ask for it in the same form; with it and the integrity, npm takes the
 * tarball from its cache by hash alone. npm rewrites the host to the configured registry
 * (`replace-registry-host`), so a mirror registry is used as usual.
 */
function registryTarball(name, version) {
  if (!version)
    throw new Error(`release lock: ${name} has no version in package-lock.json; run \`npm install\``);
  return `https://registry.npmjs.org/${name}/-/${name.slice(name.lastIndexOf("/") + 1)}-${version}.tgz`;
}

/** [name, optional] for what npm installs with a package: dependencies, optional ones, required peers. */
function runtimeDeps(entry, withPeers) {
  const deps = Object.keys(entry.dependencies ?? {}).map((name) => [name, false]);
  for (const name of Object.keys(entry.optionalDependencies ?? {})) deps.push([name, true]);
  if (withPeers)
    for (const name of Object.keys(entry.peerDependencies ?? {}))
      deps.push([name, entry.peerDependenciesMeta?.[name]?.optional === true]);
  return deps;
}

/** Where Node's resolution finds `name` from the lock path `from`: the nearest node_modules upwards. */
function locate(lock, from, name) {
  let dir = from;
  for (;;) {
    const candidate = `${dir ? `${dir}/` : ""}node_modules/${name}`;
    if (lock.packages[candidate]) return candidate;
    if (dir === "") return undefined;
    const cut = dir.lastIndexOf("/node_modules/");
    dir = cut >= 0 ? dir.slice(0, cut) : "";
  }
}

function pick(entry, keys) {
  return Object.fromEntries(keys.filter((key) => entry[key] !== undefined).map((key) => [key, entry[key]]));
}
