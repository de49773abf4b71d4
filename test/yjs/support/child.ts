/**
 * A yparty server in its own process on a LevelDB folder (test/yjs/support/child-server.ts), so that a test can kill
 * it with SIGKILL at the moment it chooses. Resolves once it listens; `children` collects it for the test's cleanup.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { withTimeout } from "./fake-client.js";

export interface ChildServer {
  child: ChildProcess;
  url: string;
  /** Resolves at the next time a room starts to apply an update in slices. */
  nextSlicing(): Promise<void>;
}

export async function startChildServer(dir: string, children: Set<ChildProcess>, documentLimits: Record<string, number> = {}): Promise<ChildServer> {
  const child = spawn(process.execPath, ["--import", "tsx", "test/yjs/support/child-server.ts", dir, JSON.stringify(documentLimits)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.add(child);
  const lines = createInterface({ input: child.stdout! });
  const line = await withTimeout(
    new Promise<string>((resolve, reject) => {
      lines.once("line", resolve);
      child.once("exit", (code) => reject(new Error(`child exited with ${code}`)));
    }),
    20_000,
    "child server listening",
  );
  const nextSlicing = () => new Promise<void>((resolve) => lines.once("line", () => resolve()));
  return { child, url: `http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}`, nextSlicing };
}
