/**
 * Test helpers: a real yparty server on port 0 and real `ws` clients. Every test of every part may use them.
 *
 *   startServer(parties, { storage?: "leveldb" | "memory", dir?, limits?, vars?, routes? }) → TestServer
 *     A server on 127.0.0.1:0 with LevelDB in a fresh temp folder (default) or memory. Quiet logs,
 *     collected in `logs` (every entry, debug included).
 *     TestServer: { server, url, wsUrl(path), dir, logs, logged(event), stop(), restart(parties?), cleanup() }
 *       stop()    closes the server (its storage too), keeps the folder;
 *       restart() stop() + a new server on the same folder (the "process restart" test);
 *       cleanup() stop() + removes the folder.
 *   connect(url, { headers? }) → TestClient: { ws, messages, opened, closed, nth(i), next(), send, close }
 *     Collects every message (text as string, binary as Uint8Array). `nth(i)` waits for message i
 *     (0-based), `next()` for the first one not yet returned by next(); `closed` resolves with
 *     { code, reason }. All waits time out (default 5 s) with an error naming what was awaited.
 *   refusedUpgrade(url, headers?) → { status, body } of an upgrade the server answered with HTTP.
 *   waitFor(promise, what, ms?) — a timeout around any promise. deferred<T>() — a promise to resolve from a hook.
 *   cleanupAll() — closes every client and server these helpers made and removes their folders (afterEach).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket from "ws";
import { createLogger, createServer, type LogEntry, type PartyModule, type CreateServerOptions, type YpartyServer } from "../../src/runtime/index.js";

export const DEFAULT_WAIT_MS = 5_000;

export interface StartOptions extends Omit<CreateServerOptions, "parties" | "port" | "host" | "persist" | "storage" | "logger"> {
  /** Where the data lives; `store` (a PostgreSQL URL) is used when given, whatever this says. */
  storage?: "leveldb" | "memory";
  /** Reuse this folder (LevelDB). Default: a fresh temp folder. */
  dir?: string;
}

export interface TestServer {
  server: YpartyServer;
  url: string;
  wsUrl(path: string): string;
  dir: string | undefined;
  logs: LogEntry[];
  /** Resolves with the first log entry of `event` (one logged already, or the next). */
  logged(event: string, ms?: number): Promise<LogEntry>;
  stop(): Promise<void>;
  restart(parties?: Record<string, PartyModule>): Promise<TestServer>;
  cleanup(): Promise<void>;
}

const servers = new Set<TestServer>();
const clients = new Set<TestClient>();
const folders = new Set<string>();

export async function startServer(parties: Record<string, PartyModule>, options: StartOptions = {}): Promise<TestServer> {
  const { storage = "leveldb", dir: givenDir, ...rest } = options;
  const dir = storage === "leveldb" && rest.store === undefined ? (givenDir ?? (await mkdtemp(join(tmpdir(), "yparty-test-")))) : undefined;
  if (dir) folders.add(dir);
  const logs: LogEntry[] = [];
  const watchers = new Set<(entry: LogEntry) => void>();
  const logger = createLogger({ level: "debug", write: () => {} });
  logger.subscribe((entry) => {
    logs.push(entry);
    for (const watch of watchers) watch(entry);
  });
  const logged = (event: string, ms = DEFAULT_WAIT_MS): Promise<LogEntry> => {
    const seen = logs.find((entry) => entry.event === event);
    if (seen) return Promise.resolve(seen);
    let watch!: (entry: LogEntry) => void;
    const next = new Promise<LogEntry>((resolve) => {
      watch = (entry) => entry.event === event && resolve(entry);
      watchers.add(watch);
    });
    return waitFor(next, `the log entry ${event}`, ms).finally(() => watchers.delete(watch));
  };
  const where = rest.store !== undefined ? {} : { persist: dir ? { dir } : (false as const) };
  const server = createServer({ ...rest, parties, port: 0, host: "127.0.0.1", ...where, logger });
  await server.listen();
  let stopped: Promise<void> | undefined;
  const test: TestServer = {
    server,
    url: server.url,
    wsUrl: (path) => server.url.replace(/^http/, "ws") + path,
    dir,
    logs,
    logged,
    stop: () => (stopped ??= server.close().finally(() => servers.delete(test))),
    restart: async (nextParties = parties) => {
      await test.stop();
      return startServer(nextParties, { ...options, ...(dir ? { dir } : {}) });
    },
    cleanup: async () => {
      await test.stop();
      if (dir) await removeFolder(dir);
    },
  };
  servers.add(test);
  return test;
}

export type Frame = string | Uint8Array;

export interface TestClient {
  ws: WebSocket;
  messages: Frame[];
  opened: Promise<void>;
  closed: Promise<{ code: number; reason: string }>;
  nth(index: number, ms?: number): Promise<Frame>;
  next(ms?: number): Promise<Frame>;
  send(data: Frame): void;
  close(code?: number, reason?: string): Promise<{ code: number; reason: string }>;
}

export function connect(url: string, options: { headers?: Record<string, string> } = {}): TestClient {
  const ws = new WebSocket(url, { headers: options.headers });
  const messages: Frame[] = [];
  const waiters: Array<() => void> = [];
  let cursor = 0;
  ws.on("message", (data: Buffer, isBinary: boolean) => {
    messages.push(isBinary ? new Uint8Array(data) : data.toString("utf8"));
    for (const wake of waiters.splice(0)) wake();
  });
  const opened = new Promise<void>((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
    ws.once("unexpected-response", (_req, res) => reject(new Error(`Upgrade refused: HTTP ${res.statusCode}`)));
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once("close", (code, reason) => resolve({ code, reason: reason.toString("utf8") })),
  );
  opened.catch(() => {});
  const nth = (index: number, ms = DEFAULT_WAIT_MS): Promise<Frame> => {
    const arrived = new Promise<Frame>((resolve) => {
      const check = () => (index < messages.length ? resolve(messages[index]!) : waiters.push(check));
      check();
    });
    return waitFor(arrived, `message #${index} from ${url}`, ms);
  };
  const client: TestClient = {
    ws,
    messages,
    opened: waitFor(opened, `open of ${url}`),
    closed,
    nth,
    next: (ms) => nth(cursor++, ms),
    send: (data) => ws.send(data),
    close: (code, reason) => {
      if (ws.readyState !== WebSocket.CLOSED) ws.close(code, reason);
      return waitFor(closed, `close of ${url}`);
    },
  };
  client.opened.catch(() => {});
  clients.add(client);
  return client;
}

/** The HTTP answer to an upgrade the server refused (status and body reach the client). */
export function refusedUpgrade(url: string, headers?: Record<string, string>): Promise<{ status: number; body: string }> {
  const ws = new WebSocket(url, { headers });
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    ws.once("open", () => reject(new Error(`The upgrade to ${url} was accepted`)));
    ws.once("unexpected-response", (_req, res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.once("error", () => {});
  });
  return waitFor(answer, `refusal of ${url}`).finally(() => ws.terminate());
}

export function waitFor<T>(promise: Promise<T>, what: string, ms = DEFAULT_WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Asks `probe` again each turn (after its own await) until it gives a value, for at most `ms`: for state no event
 * announces (what a room stored).
 */
export async function pollUntil<T>(what: string, probe: () => Promise<T | undefined>, ms = DEFAULT_WAIT_MS): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`Timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Until the room storage `name` (`party/room`) holds no key. */
export async function storageEmptied(server: TestServer, name: string, what = `the storage of ${name} to be deleted`, ms?: number): Promise<void> {
  const kv = server.server.storage.kv(name);
  await pollUntil(what, async () => ((await kv.list()).size === 0 ? true : undefined), ms);
}

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

const lastSteps: Array<() => void> = [];

/** `step` runs first in the next `cleanupAll` (e.g. letting go a promise a party still awaits, so its server can stop). */
export function onCleanup(step: () => void): void {
  lastSteps.push(step);
}

/** A deferred the test resolves, and the next `cleanupAll` too: no party is left waiting on it. */
export function gate(): Deferred<void> {
  const opened = deferred();
  onCleanup(() => opened.resolve());
  return opened;
}

export async function cleanupAll(): Promise<void> {
  for (const step of lastSteps.splice(0)) step();
  for (const client of clients) client.ws.terminate();
  clients.clear();
  await Promise.all([...servers].map((server) => server.stop()));
  await Promise.all([...folders].map(removeFolder));
}

async function removeFolder(dir: string): Promise<void> {
  folders.delete(dir);
  await rm(dir, { recursive: true, force: true });
}
