/**
 * A yparty server in its own process on a LevelDB folder (test/yjs/support/child-server.ts), so that a test can kill
 * it with SIGKILL at the moment it chooses. Resolves once it listens; `children` collects it for the test's cleanup.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { withTimeout } from "./fake-client.js";

export async function startChildServer(dir: string, children: Set<ChildProcess>): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "test/yjs/support/child-server.ts", dir], { stdio: ["ignore", "pipe", "inherit"] });
  children.add(child);
  const line = await withTimeout(
    new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once("line", resolve);
      child.once("exit", (code) => reject(new Error(`child exited with ${code}`)));
    }),
    20_000,
    "child server listening",
  );
  return { child, url: `http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}` };
}
