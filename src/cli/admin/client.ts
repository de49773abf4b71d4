/**
 * The admin commands' side of the admin API: which server to ask and with which token (flags, then
 * `$YPARTY_URL` / `$YPARTY_ADMIN_TOKEN`, then the admin file a running server left: discover.ts), and one authorized
 * request whose failures read as `CliError`s that say what to do.
 */
import path from "node:path";
import { blockedPort, blockedPortAdvice } from "../blocked-ports.js";
import { CliDefaults } from "../defaults.js";
import { CliError } from "../errors.js";
import { parseStorageName } from "../../runtime/room-names.js";
import { discoverServer, shortPath } from "./discover.js";

export interface AdminTarget {
  url: string;
  token: string;
}

export interface AdminFlags {
  cwd: string;
  url?: string;
  token?: string;
  persist?: string;
  config?: string;
  env: NodeJS.ProcessEnv;
}

/**
 * Where the server is and its token: flags, then `$YPARTY_URL` / `$YPARTY_ADMIN_TOKEN`, then the admin file of
 * a server started the way people start it (discover.ts). Says on stderr which server it found.
 */
export async function findServer(flags: AdminFlags): Promise<AdminTarget> {
  let url = flags.url ?? flags.env.YPARTY_URL;
  let token = flags.token ?? flags.env.YPARTY_ADMIN_TOKEN;
  if (url === undefined || token === undefined) {
    const found = await discoverServer(flags.cwd, {
      ...(flags.persist !== undefined ? { persist: flags.persist } : {}),
      ...(flags.config !== undefined ? { config: flags.config } : {}),
    });
    const where = `${shortPath(flags.cwd, path.join(found.candidate.dir, CliDefaults.adminFile))}, ${found.candidate.reason}`;
    // The file's token is that server's password: never sent to another address the user named.
    if (url !== undefined && !sameServer(url, found.file.url)) {
      throw new CliError(
        "ERR_USAGE",
        `No admin token for ${url}: the one found here (${where}) is for ${found.file.url}. Pass --token (or YPARTY_ADMIN_TOKEN) with --url.`,
      );
    }
    url ??= found.file.url;
    token ??= found.file.token;
    const others = found.others.length
      ? `; also running: ${found.others.map((other) => shortPath(flags.cwd, other.dir)).join(", ")} (pass --persist to pick)`
      : "";
    const stale = found.running ? "" : `; its process ${found.file.pid} is not running here, the file may be left over`;
    process.stderr.write(`yparty: server ${url} (from ${where})${others}${stale}\n`);
  }
  return { url: url.replace(/\/+$/, ""), token };
}

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** Whether two server URLs name the same server: one origin, `localhost` and the loopback addresses alike. */
function sameServer(a: string, b: string): boolean {
  try {
    const [x, y] = [new URL(a), new URL(b)];
    const host = (url: URL) => (LOOPBACK.has(url.hostname) ? "loopback" : url.hostname);
    return x.protocol === y.protocol && x.port === y.port && host(x) === host(y);
  } catch {
    return false;
  }
}

/** One admin request; network failures and error answers become `CliError`s with the server's message. */
export async function adminFetch(target: AdminTarget, pathAndQuery: string, init: RequestInit = {}, timeout = true): Promise<Response> {
  const url = `${target.url}${CliDefaults.adminPrefix}${pathAndQuery}`;
  // The timeout bounds the wait for the answer, not the download of a body that keeps coming (see `readBody`).
  const answered = new AbortController();
  const timer = timeout
    ? setTimeout(() => answered.abort(new DOMException("The server did not answer in time", "TimeoutError")), CliDefaults.adminTimeoutMs)
    : undefined;
  let response: Response;
  try {
    response = await fetch(url, { ...init, headers: { authorization: `Bearer ${target.token}` }, signal: init.signal ?? answered.signal });
  } catch (error) {
    if (init.signal?.aborted) throw error;
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const reason = cause?.code ?? cause?.message ?? (error as Error).message;
    const blocked = blockedPort(target.url);
    if (blocked !== undefined) throw new CliError("ERR_ADMIN_UNREACHABLE", `Cannot reach the server at ${target.url}: ${blockedPortAdvice(blocked)}.`);
    throw new CliError("ERR_ADMIN_UNREACHABLE", `Cannot reach the server at ${target.url} (${reason}). Is it running?`);
  } finally {
    clearTimeout(timer);
  }
  if (!response.ok) {
    const body = (await response.json().catch(() => undefined)) as { error?: { code?: string; message?: string } } | undefined;
    const detail = body?.error ? `${body.error.code}: ${body.error.message}` : `HTTP ${response.status}`;
    throw new CliError("ERR_ADMIN_REQUEST", `The server refused: ${detail}`);
  }
  return response;
}

/** `party/room` → its parts; the room id may itself contain "/". */
export function parseRoomRef(ref: string): { party: string; id: string } {
  const room = parseStorageName(ref);
  if (!room) throw new CliError("ERR_USAGE", `Expected <party>/<room>, e.g. main/my-room; got "${ref}".\nRun "yparty --help" for usage.`);
  return { party: room.party, id: room.roomId };
}

export function roomUrlPath(ref: { party: string; id: string }): string {
  return `rooms/${encodeURIComponent(ref.party)}/${encodeURIComponent(ref.id)}`;
}

/** A body read whole, however long it takes while bytes keep coming; given up after `idleMs` without any. */
export async function readBody(response: Response, idleMs = CliDefaults.adminTimeoutMs): Promise<Uint8Array> {
  const reader = response.body?.getReader();
  if (!reader) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  for (;;) {
    let idle: NodeJS.Timeout | undefined;
    const stalled = new Promise<never>((_, reject) => {
      idle = setTimeout(() => reject(new CliError("ERR_ADMIN_REQUEST", `The server stopped sending (nothing for ${idleMs / 1000} s)`)), idleMs);
    });
    const read = await Promise.race([reader.read(), stalled])
      .catch(async (error: unknown) => {
        await reader.cancel().catch(() => {});
        throw error;
      })
      .finally(() => clearTimeout(idle));
    if (read.done) return Buffer.concat(chunks);
    chunks.push(read.value);
  }
}
