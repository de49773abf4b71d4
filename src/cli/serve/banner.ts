/**
 * The lines `yparty dev|start` prints once it listens (`start` off a terminal logs `yparty.ready` in JSON instead):
 * where to go, which parties run, where the data lives, and how the admin commands reach the server. `start` names
 * the token's file, not the token, so it stays out of log files.
 */
import path from "node:path";

export interface BannerInfo {
  command: "dev" | "start";
  /** The project's name (`--name`, else the config's `name`). */
  name?: string;
  url: string;
  parties: string[];
  persist: { dir: string } | false;
  /** The PostgreSQL database (its URL without password), when data lives there. */
  store?: string;
  serve?: string;
  adminToken: string;
  adminFile?: string;
}

/** Short paths for files under the working folder, absolute ones for anything elsewhere. */
function relative(file: string): string {
  const short = path.relative(process.cwd(), file);
  return short === "" ? "." : short.startsWith("..") ? file : short;
}

/** The token is shown by `dev` (a local tool); `start` only says where it is, so it stays out of log files. */
function adminLine(info: BannerInfo): string {
  const where = info.adminFile ? ` (saved in ${relative(info.adminFile)} for yparty list/tail/delete/export)` : "";
  if (info.command === "dev" || !info.adminFile) return `token ${info.adminToken}${where}`;
  return `token saved in ${relative(info.adminFile)}`;
}

/** What `yparty dev` prints once listening: where to go, what runs, where data lives, how to reach the admin API. */
export function banner(info: BannerInfo): string {
  const rows: Array<[string, string]> = [
    ["url", info.url],
    ["parties", info.parties.join(", ")],
    ["data", info.store ? `${info.store} (PostgreSQL)` : info.persist ? `${relative(info.persist.dir)} (LevelDB)` : "memory (lost on exit; --no-persist)"],
    ...(info.serve ? [["static", relative(info.serve)] as [string, string]] : []),
    ["admin", adminLine(info)],
  ];
  const lines = rows.map(([label, value]) => `  ${label.padEnd(8)} ${value}`);
  const tail = info.command === "dev" ? "Watching for changes. Press Ctrl-C to stop." : "Press Ctrl-C to stop.";
  return [`yparty ${info.command}: ${info.name ? `${info.name} ` : ""}ready on ${info.url}`, ...lines, tail, ""].join("\n");
}
