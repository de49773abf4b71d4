/**
 * The file watching behind `yparty dev`: the server bundle's inputs (their folders watched, since editors save by
 * rename; other files there ignored, except new sources after a failed build) and the trees of `build.watch`, each
 * burst of changes debounced into one call.
 */
import { watch, type FSWatcher } from "node:fs";
import path from "node:path";
import { CliDefaults } from "../defaults.js";

export interface FileWatcher {
  /**
   * Watches the folders of these files (replacing the previous set); files inside installed packages are not watched
   * (a node_modules folder itself is: an install's record in it, a package's folder appearing).
   * `newSources`: after a failed build, a new source file in those folders also counts (a failing import may be
   * waiting for it); after a good one, only the inputs do.
   */
  update(files: string[], options?: { newSources?: boolean }): void;
  close(): void;
}

/** Files whose appearance may fix a build (an import of a file that did not exist yet). */
const SOURCE_FILE = /\.(?:[cm]?[jt]sx?|json)$/;

/** A folder inside an installed package (`node_modules/x/…`): a bundle's input there is not watched. */
function insidePackage(dir: string): boolean {
  const parts = dir.split(path.sep);
  const modules = parts.lastIndexOf("node_modules");
  return modules !== -1 && modules !== parts.length - 1;
}

/**
 * Calls `onChange` once per burst of changes to the build's input files (debounced). Watches folders, not
 * files: editors that save by rename replace the file. Other files in those folders (logs, notes, data, a new
 * module nothing imports yet) never trigger a rebuild, except new source files after a failed build, which
 * may be what a failing import was waiting for. `onIgnored` hears of the others.
 */
export function watchFiles(
  onChange: (changed: string[]) => void,
  onIgnored: (file: string) => void = () => {},
  debounceMs: number = CliDefaults.watchDebounceMs,
): FileWatcher {
  const watchers = new Map<string, FSWatcher>();
  let inputs = new Set<string>();
  let newSources = false;
  /** The files of the burst under way, handed to `onChange` (so it can say what changed). */
  let changed = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  const schedule = (file: string) => {
    changed.add(file);
    clearTimeout(timer);
    timer = setTimeout(() => {
      const burst = [...changed];
      changed = new Set();
      onChange(burst);
    }, debounceMs);
  };
  return {
    update(files, options = {}) {
      inputs = new Set(files);
      newSources = options.newSources === true;
      const dirs = new Set(files.map((file) => path.dirname(file)).filter((dir) => !insidePackage(dir)));
      for (const [dir, watcher] of watchers) {
        if (!dirs.has(dir)) {
          watcher.close();
          watchers.delete(dir);
        }
      }
      for (const dir of dirs) {
        if (watchers.has(dir)) continue;
        try {
          const watcher = watch(dir, (_event, name) => {
            if (!name) return;
            const file = path.join(dir, name);
            // A dot file counts only as an input (an install's record); others are an editor's or yparty's own.
            if (inputs.has(file)) schedule(file);
            else if (name.startsWith(".")) return;
            else if (newSources && SOURCE_FILE.test(name)) schedule(file);
            else onIgnored(file);
          });
          watcher.on("error", () => watchers.delete(dir));
          watchers.set(dir, watcher);
        } catch {
          // The folder vanished between the build and now; the next build will list what exists.
        }
      }
    },
    close() {
      clearTimeout(timer);
      for (const watcher of watchers.values()) watcher.close();
      watchers.clear();
    },
  };
}

/** Watches whole trees (the config's `build.watch`), for a custom build command. */
export function watchTrees(roots: string[], onChange: () => void, debounceMs: number = CliDefaults.watchDebounceMs): () => void {
  let timer: NodeJS.Timeout | undefined;
  const watchers = roots.flatMap((root) => {
    try {
      return [
        watch(root, { recursive: true }, () => {
          clearTimeout(timer);
          timer = setTimeout(onChange, debounceMs);
        }),
      ];
    } catch {
      return [];
    }
  });
  return () => {
    clearTimeout(timer);
    for (const watcher of watchers) watcher.close();
  };
}
