/**
 * One server under test, started fresh for one scenario run: its child process, its clients' framing and,
 * for a persistent server, its own temp folder (removed on stop). Scenarios get a Target and never care
 * which server it is.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FRAMINGS, type Framing } from "./client/framing.js";
import { ServerProcess } from "./server-process.js";
import type { ServerSpec } from "./servers/catalog.js";

export interface Target {
  spec: ServerSpec;
  framing: Framing;
  server: ServerProcess;
  /** The storage folder of a persistent server. */
  dir?: string;
  /** Stops the server, keeping the folder (cold load restarts on it). */
  restart(): Promise<void>;
  /** Stops the server and removes its folder. */
  stop(): Promise<void>;
}

/** Extra node flags per server (e.g. `--cpu-prof` for the servers being profiled). */
let nodeFlagsFor: (spec: ServerSpec) => string[] = () => [];
export const setChildNodeFlags = (flagsFor: (spec: ServerSpec) => string[]): void => {
  nodeFlagsFor = flagsFor;
};

export async function startTarget(spec: ServerSpec): Promise<Target> {
  const dir = spec.persistent ? await mkdtemp(join(tmpdir(), `yparty-bench-${spec.id}-`)) : undefined;
  const args = dir ? ["--dir", dir] : [];
  const launch = (): Promise<ServerProcess> => ServerProcess.start(spec.label, spec.script, args, nodeFlagsFor(spec));
  let server: ServerProcess;
  try {
    server = await launch();
  } catch (error) {
    if (dir) await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const target: Target = {
    spec,
    framing: FRAMINGS[spec.framing],
    server,
    dir,
    async restart() {
      await target.server.stop();
      target.server = await launch();
    },
    async stop() {
      await target.server.stop();
      if (dir) await rm(dir, { recursive: true, force: true });
    },
  };
  return target;
}
