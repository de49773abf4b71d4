/**
 * `yparty list`, `tail`, `delete` and `export`: each one request to a running server's admin API (client.ts), its
 * answer printed for a terminal (a table, log lines) or as JSON, or written to a file. `delete` asks first (unless `--yes`).
 */
import { writeFile } from "node:fs/promises";
import { createInterface } from "node:readline/promises";
import { CliError } from "../errors.js";
import { adminFetch, parseRoomRef, readBody, roomUrlPath, type AdminTarget } from "./client.js";
import type { RoomRow } from "./handler.js";

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

export async function listCommand(target: AdminTarget, json: boolean): Promise<void> {
  const { rooms, unreachable = [] } = (await (await adminFetch(target, "rooms")).json()) as { rooms: RoomRow[]; unreachable?: string[] };
  if (json) {
    process.stdout.write(`${JSON.stringify(rooms, null, 2)}\n`);
  } else if (rooms.length === 0) {
    process.stdout.write("No rooms yet.\n");
  } else {
    printTable(rooms);
  }
  // A cluster node that did not answer: its rooms are listed from their leases, without connections.
  for (const node of unreachable) process.stderr.write(`yparty: node ${node} did not answer; its rooms show no connection count\n`);
}

function printTable(rooms: RoomRow[]): void {
  const cluster = rooms.some((r) => r.node !== undefined);
  const header = ["PARTY", "ROOM", "CONNECTIONS", "STORED", "UPDATES", "KEYS", ...(cluster ? ["NODE"] : [])];
  const rows = rooms.map((r) => [
    r.party,
    r.id,
    r.connections === null ? "?" : String(r.connections),
    r.storageError === undefined ? formatBytes(r.storedBytes) : `unreadable (${r.storageError})`,
    r.storageError === undefined ? String(r.storedUpdates) : "?",
    String(r.storedKeys),
    ...(cluster ? [r.node ?? "-"] : []),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  for (const row of [header, ...rows])
    process.stdout.write(
      `${row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join("  ")
        .trimEnd()}\n`,
    );
}

function formatEntry(entry: Record<string, unknown>): string {
  const { time, level, event, ...rest } = entry;
  const pairs = Object.entries(rest).map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`);
  return `${String(time)} ${String(level).toUpperCase().padEnd(5)} ${String(event)}${pairs.length ? ` ${pairs.join(" ")}` : ""}`;
}

/** Streams log entries until the server ends the stream or the user presses Ctrl-C (exit 0 either way). */
export async function tailCommand(target: AdminTarget, json: boolean): Promise<void> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const response = await adminFetch(target, "logs", { signal: stop.signal }, false);
    process.stderr.write(`Tailing logs of ${target.url} (Ctrl-C to stop)\n`);
    const decoder = new TextDecoder();
    let buffered = "";
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffered += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffered.indexOf("\n\n")) >= 0) {
        const data = dataOf(buffered.slice(0, end));
        buffered = buffered.slice(end + 2);
        if (data) process.stdout.write(`${json ? data : formatEntry(JSON.parse(data) as Record<string, unknown>)}\n`);
      }
    }
    process.stderr.write("The server ended the log stream.\n");
  } catch (error) {
    if (!stop.signal.aborted) throw error;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/** The `data:` payload of one server-sent event (comments and other fields dropped). */
function dataOf(event: string): string {
  return event
    .split("\n")
    .filter((line) => line.startsWith("data: "))
    .map((line) => line.slice(6))
    .join("\n");
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^(y|yes)$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

export async function deleteCommand(target: AdminTarget, ref: string, yes: boolean): Promise<void> {
  const room = parseRoomRef(ref);
  if (!yes) {
    if (!process.stdin.isTTY) {
      throw new CliError("ERR_NOT_CONFIRMED", `Not deleting ${ref}: there is no terminal to confirm on. Pass --yes to delete without asking.`);
    }
    if (!(await confirm(`Delete every stored byte of ${ref} on ${target.url}? This cannot be undone. [y/N] `))) {
      throw new CliError("ERR_NOT_CONFIRMED", "Not deleted.");
    }
  }
  const result = (await (await adminFetch(target, roomUrlPath(room), { method: "DELETE" })).json()) as { existed: boolean };
  process.stdout.write(result.existed ? `Deleted ${ref}.\n` : `${ref} had no stored data; nothing to delete.\n`);
}

/** The room of an `export`/`delete` invocation; throws its usage error (checked before a server is looked for). */
export function checkRoomCommand(command: "export" | "delete", ref: string, format: string): { party: string; id: string } {
  if (command === "export" && format !== "json" && format !== "binary") throw new CliError("ERR_USAGE", `--format must be json or binary, got "${format}".`);
  return parseRoomRef(ref);
}

export async function exportCommand(target: AdminTarget, ref: string, format: string, output: string | undefined): Promise<void> {
  const room = checkRoomCommand("export", ref, format);
  const response = await adminFetch(target, `${roomUrlPath(room)}/export?format=${format}`);
  const bytes = await readBody(response);
  const content = format === "json" ? Buffer.from(`${JSON.stringify(JSON.parse(Buffer.from(bytes).toString("utf8")), null, 2)}\n`) : bytes;
  // A backup that could not be written must not look like one (a full disk, a missing folder): the export fails.
  const unwritten = (where: string) => (error: NodeJS.ErrnoException) => {
    throw new CliError("ERR_OUTPUT", `Could not write the export to ${where}: ${error.message}`, { cause: error });
  };
  if (output !== undefined) {
    await writeFile(output, content).catch(unwritten(output));
    process.stderr.write(`Wrote ${content.byteLength} bytes to ${output}\n`);
  } else {
    await new Promise<void>((resolve, reject) => process.stdout.write(content, (error) => (error ? reject(error) : resolve()))).catch(
      unwritten("standard output"),
    );
  }
}
