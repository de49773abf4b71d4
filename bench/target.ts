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
import { bundledEntry } from "./servers/bundle.js";
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

/** Node flags for the servers being profiled (`--cpu-prof ...`); those run as a bundle, see ./servers/bundle.ts. */
let profileFlagsFor: (spec: ServerSpec) => string[] = () => [];
export const setProfileFlags = (flagsFor: (spec: ServerSpec) => string[]): void => {
  profileFlagsFor = flagsFor;
};

export async function startTarget(spec: ServerSpec): Promise<Target> {
  const flags = profileFlagsFor(spec);
  const entry = flags.length > 0 ? { bundle: await bundledEntry(spec.script) } : { script: spec.script };
  const dir = spec.persistent ? await mkdtemp(join(tmpdir(), `yparty-bench-${spec.id}-`)) : undefined;
  const args = dir ? ["--dir", dir] : [];
  const launch = (): Promise<ServerProcess> => ServerProcess.start(spec.label, entry, args, flags);
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
