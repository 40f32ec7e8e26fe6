import { type FSWatcher, watch } from "node:fs";
import { basename, dirname } from "node:path";
import type { LoadedFleet } from "../config/index.js";

const CONFIG_FILE = /\.(ya?ml)$|^\.env$/;

/**
 * Watches the folders of the fleet's config files and calls `onChange` once things settle.
 * Folders, not files: editors replace files by renaming, which ends a per-file watch.
 */
export class ConfigWatcher {
  private watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly onChange: () => void,
    private readonly debounceMs = 300,
  ) {}

  watch(fleet: LoadedFleet): void {
    this.close();
    const dirs = new Set([dirname(fleet.configPath), ...fleet.agents.map((a) => dirname(a.configPath))]);
    for (const dir of dirs) {
      try {
        const watcher = watch(dir, { persistent: false }, (_event, filename) => {
          if (filename && !CONFIG_FILE.test(basename(filename.toString()))) return;
          this.schedule();
        });
        watcher.on("error", () => {});
        this.watchers.push(watcher);
      } catch {
        // A folder that vanished: the next reload reports the missing file.
      }
    }
  }

  close(): void {
    clearTimeout(this.timer);
    for (const w of this.watchers) w.close();
    this.watchers = [];
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(this.onChange, this.debounceMs);
    this.timer.unref();
  }
}
