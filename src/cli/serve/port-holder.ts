/**
 * Who holds the port a start could not listen on. Most often another yparty (another project, or this one started
 * elsewhere): its admin API answers a request without a token with a 401 naming yparty's realm, which nothing else
 * does. Its pid and data folder are told only by its admin file (server.json, which holds its token), found when it
 * is one of the data folders a command here would look in.
 */
import { CliDefaults } from "../defaults.js";

/** How long the probe waits for an answer: a start that failed should say so at once. */
const PROBE_TIMEOUT_MS = 1000;
/** What the admin API's 401 says (src/cli/admin/handler.ts). */
const YPARTY_REALM = `realm="${CliDefaults.adminRealm}"`;

export type PortHolder = { kind: "yparty"; url: string; pid?: number; folder?: string } | { kind: "http" } | { kind: "unknown" };

/** Asks what answers at `host:port` (`host` as a client here reaches it: no wildcard address). */
export async function portHolder(host: string, port: number, cwd: string): Promise<PortHolder> {
  const url = `http://${host}:${port}`;
  let response: Response;
  // A timer of our own, not AbortSignal.timeout's: that one does not keep the process alive, and fetch's request to a
  // program that resets each connection at once holds nothing either (Node 20): the start then exited 13, saying nothing.
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), PROBE_TIMEOUT_MS);
  try {
    response = await fetch(`${url}${CliDefaults.adminPrefix}rooms`, { method: "HEAD", signal: timeout.signal, redirect: "manual" });
  } catch {
    return { kind: "unknown" }; // not HTTP, or no answer in time
  } finally {
    clearTimeout(timer);
  }
  if (response.status !== 401 || !response.headers.get("www-authenticate")?.includes(YPARTY_REALM)) return { kind: "http" };
  const { runningServerOn } = await import("../admin/discover.js");
  const found = await runningServerOn(cwd, port);
  return { kind: "yparty", url, ...(found ? { pid: found.file.pid, folder: found.candidate.dir } : {}) };
}

/** The start's error line for a port in use: who holds it, and what to do. */
export function portInUseMessage(host: string, port: number, holder: PortHolder): string {
  const what =
    holder.kind === "yparty"
      ? `by another yparty server, ${holder.url}${holder.pid !== undefined ? ` (pid ${holder.pid}, data folder ${holder.folder})` : ""}`
      : holder.kind === "http"
        ? "by another program (an HTTP server that is not yparty)"
        : "by another program";
  return `Port ${port} on ${host} is already in use ${what}. Stop it, or start this one on another port: --port <number> (--port 0 picks a free one).`;
}
