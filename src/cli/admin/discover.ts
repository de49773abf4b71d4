/**
 * Finding a running server nobody named: the data folders a server started here would use (`--persist`, the config's,
 * those of package.json's `yparty dev|start` scripts, `.yparty` here, above and one level down), searched for the admin
 * file a server leaves in its folder (token.ts). `doctor`, `repair` and a start whose port is taken use the same
 * search.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { findConfigFile, readConfigFile } from "../config/read.js";
import { CliDefaults } from "../defaults.js";
import { CliError } from "../errors.js";
import { readAdminFile, type AdminFile } from "./token.js";

/** A data folder where a server may have left its admin file, and why it is a candidate. */
export interface Candidate {
  dir: string;
  /** Where the guess came from, e.g. `package.json's "start" script`. */
  reason: string;
}

/** The data folder a config file gives (its `persist`, else `.yparty` beside it); undefined for `persist: false`. */
function configDataDir(configFile: string): string | undefined {
  let persist: boolean | string | undefined;
  try {
    persist = readConfigFile(configFile).config.persist;
  } catch {
    persist = undefined; // unreadable or not JSON: the server could not have started from it either
  }
  if (persist === false) return undefined;
  return path.resolve(path.dirname(configFile), typeof persist === "string" ? persist : CliDefaults.dataDir);
}

/** The PostgreSQL URL the project's config stores in (`"store"`), if it names one; and the config's file. */
export function configStore(cwd: string, config?: string): { store: string; file: string } | undefined {
  const file = findConfigFile(cwd, config);
  if (!file) return undefined;
  try {
    const { store: given } = readConfigFile(file).config;
    // "store": "postgres://…", or { "url": "postgres://…", "queryTimeoutMs": … }
    const store = typeof given === "object" && given !== null ? (given as { url?: unknown }).url : given;
    return typeof store === "string" && store !== "" ? { store, file } : undefined;
  } catch {
    return undefined;
  }
}

/** The value of `--name value` / `--name=value` / `-c value` in a command's words. */
function flagValue(words: string[], names: string[]): string | undefined {
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    for (const name of names) {
      if (word === name) return words[i + 1];
      if (word.startsWith(`${name}=`)) return word.slice(name.length + 1);
    }
  }
  return undefined;
}

/** Data folders of the `yparty dev|start` commands in package.json's scripts (how most people start it). */
function scriptCandidates(cwd: string): Candidate[] {
  let scripts: Record<string, unknown>;
  try {
    scripts = (JSON.parse(readFileSync(path.join(cwd, "package.json"), "utf8")) as { scripts?: Record<string, unknown> }).scripts ?? {};
  } catch {
    return [];
  }
  const found: Candidate[] = [];
  for (const [name, script] of Object.entries(scripts)) {
    if (typeof script !== "string") continue;
    for (const command of script.split(/&&|\|\||[;|&]/)) {
      const match = /\byparty(?:\.js)?\s+(?:dev|start)\b(.*)$/.exec(command.trim());
      if (!match) continue;
      const words = match[1]!
        .trim()
        .split(/\s+/)
        .map((word) => word.replace(/^["']|["']$/g, ""));
      if (words.includes("--no-persist")) continue;
      const reason = `package.json's "${name}" script`;
      const persist = flagValue(words, ["--persist"]);
      const config = flagValue(words, ["--config", "-c"]);
      const dir =
        persist !== undefined
          ? path.resolve(cwd, persist)
          : configDataDir(config !== undefined ? path.resolve(cwd, config) : (findConfigFile(cwd, undefined) ?? path.join(cwd, "none")));
      if (dir) found.push({ dir, reason });
    }
  }
  return found;
}

/** `.yparty` folders in the folders above `cwd` (a server started at the project root, asked from src/). */
function ancestorCandidates(cwd: string): Candidate[] {
  const found: Candidate[] = [];
  for (let dir = path.dirname(cwd); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    found.push({ dir: path.join(dir, CliDefaults.dataDir), reason: "a folder above" });
  }
  return found;
}

/** `.yparty` folders one level down (a demo or app folder in a repository). */
function childCandidates(cwd: string): Candidate[] {
  let entries: string[];
  try {
    entries = readdirSync(cwd, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && !entry.name.startsWith(".") && entry.name !== "node_modules")
      .map((entry) => entry.name);
  } catch {
    return [];
  }
  return entries.sort().map((name) => ({ dir: path.join(cwd, name, CliDefaults.dataDir), reason: "a folder below" }));
}

/**
 * Where a server started the way people start it would keep its admin file, most specific first: `--persist`
 * alone if given; else the config's data folder (`--config`, or the config in this folder), the data folders
 * of package.json's `yparty dev|start` scripts, `.yparty` here, above and one level down.
 */
export function candidates(cwd: string, flags: { persist?: string; config?: string }): Candidate[] {
  if (flags.persist !== undefined) return [{ dir: path.resolve(cwd, flags.persist), reason: "--persist" }];
  const configFile = findConfigFile(cwd, flags.config);
  const fromConfig = configFile ? configDataDir(configFile) : undefined;
  const all: Candidate[] = [
    ...(fromConfig ? [{ dir: fromConfig, reason: `${path.basename(configFile!)}'s data folder` }] : []),
    ...(flags.config !== undefined
      ? []
      : [...scriptCandidates(cwd), { dir: path.join(cwd, CliDefaults.dataDir), reason: "this folder" }, ...ancestorCandidates(cwd), ...childCandidates(cwd)]),
  ];
  const seen = new Set<string>();
  return all.filter((candidate) => !seen.has(candidate.dir) && seen.add(candidate.dir));
}

/** Whether the process that wrote an admin file still runs (on this machine; EPERM: it runs as someone else). */
function isRunning(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

export interface FoundServer {
  file: AdminFile;
  candidate: Candidate;
  /** Whether the process that wrote the file runs on this machine (false: stale, or in a container). */
  running: boolean;
  /** Other running servers that were found too (the user may have meant one of them). */
  others: Candidate[];
}

/**
 * The server to talk to: the first candidate whose admin file names a running process; failing that, the
 * first with an admin file at all (its process may run where this one cannot see it, e.g. in a container).
 */
export async function discoverServer(cwd: string, flags: { persist?: string; config?: string }): Promise<FoundServer> {
  const list = candidates(cwd, flags);
  const withFile: Array<{ file: AdminFile; candidate: Candidate }> = [];
  for (const candidate of list) {
    if (!existsSync(path.join(candidate.dir, CliDefaults.adminFile))) continue;
    const file = await readAdminFile(candidate.dir);
    if (file) withFile.push({ file, candidate });
  }
  const running = withFile.filter(({ file }) => isRunning(file.pid));
  const chosen = running[0] ?? withFile[0];
  if (chosen) return { ...chosen, running: running.includes(chosen), others: running.filter((found) => found !== chosen).map((found) => found.candidate) };
  const looked = list.slice(0, 6).map((candidate) => `  ${shortPath(cwd, candidate.dir)} (${candidate.reason})`);
  throw new CliError(
    "ERR_ADMIN_UNREACHABLE",
    `No running server found: no ${CliDefaults.adminFile} in\n${looked.join("\n")}${list.length > looked.length ? "\n  …" : ""}\n` +
      "Start one with 'yparty dev', pass --persist <its data folder> (or --config <its config>), or --url and --token (or set YPARTY_URL and YPARTY_ADMIN_TOKEN).",
  );
}

/**
 * A running server among the data folders a command here would look in (`candidates`) whose admin file says it
 * serves on `port`: what `yparty start` names when it finds its port taken.
 */
export async function runningServerOn(cwd: string, port: number): Promise<{ file: AdminFile; candidate: Candidate } | undefined> {
  for (const candidate of candidates(cwd, {})) {
    if (!existsSync(path.join(candidate.dir, CliDefaults.adminFile))) continue;
    const file = await readAdminFile(candidate.dir);
    if (file && isRunning(file.pid) && URL.canParse(file.url) && Number(new URL(file.url).port) === port) return { file, candidate };
  }
  return undefined;
}

/** A path as the user would type it from `cwd`. */
export function shortPath(cwd: string, file: string): string {
  const relative = path.relative(cwd, file);
  return relative === "" ? "." : relative;
}
