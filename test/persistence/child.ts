import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import * as path from "node:path";
import * as readline from "node:readline";
import { fileURLToPath } from "node:url";
import { withTimeout } from "./helpers.js";

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures");

/** A fixture running in its own node process, with its stdout as lines. */
export interface Child {
  process: ChildProcessWithoutNullStreams;
  /** Resolves with the first stdout line `accept` returns true for; rejects if the process exits first. */
  waitForLine(accept: (line: string) => boolean): Promise<string>;
  lines: string[];
  exited: Promise<number | null>;
  /** SIGKILLs it (if still running) and waits for the exit. */
  kill(): Promise<void>;
}

export function spawnFixture(name: string, args: string[]): Child {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(fixtures, name), ...args], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const waiters = new Set<{ accept: (line: string) => boolean; resolve: (line: string) => void }>();
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  readline.createInterface({ input: child.stdout }).on("line", (line) => {
    lines.push(line);
    for (const waiter of waiters) {
      if (waiter.accept(line)) {
        waiters.delete(waiter);
        waiter.resolve(line);
      }
    }
  });
  // "close", not "exit": by then every line the child wrote has been read.
  const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
  return {
    process: child,
    lines,
    exited,
    waitForLine: (accept) =>
      new Promise<string>((resolve, reject) => {
        const seen = lines.find(accept);
        if (seen !== undefined) return resolve(seen);
        waiters.add({ accept, resolve });
        void exited.then((code) => reject(new Error(`${name} exited (code ${code}) before the expected line; stderr: ${stderr}`)));
      }),
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}

/**
 * A fixture that prints "ready" once it holds what it was started for (a folder open), added to `children` (the test's
 * to kill) before the wait; `what` names the wait in the timeout's message.
 */
export async function spawnReady(name: string, args: string[], children: Child[], what: string, timeoutMs = 20_000): Promise<Child> {
  const child = spawnFixture(name, args);
  children.push(child);
  await withTimeout(
    child.waitForLine((line) => line === "ready"),
    timeoutMs,
    what,
  );
  return child;
}
