/**
 * One server under test, started fresh for one scenario run: its child process, its clients' framing and,
 * for a persistent server, its own temp folder (removed on stop). Scenarios get a Target and never care
 * which server it is.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FRAMINGS, type Framing } from "./client/framing.js";
import { ServerProcess, scriptCommand, type ChildCommand } from "./server-process.js";
import { bundledEntry } from "./servers/bundle.js";
import type { ServerSpec } from "./servers/catalog.js";
import { assertBuilt, cliArgs, cliReadyPort } from "./servers/cli.js";
import { startPostgres, type Engine } from "../test/helpers/engines.js";

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

/**
 * Node flags for the servers being profiled (`--cpu-prof ...`). A script then runs as a bundle (see
 * ./servers/bundle.ts); the CLI runs from dist/ as always, whose source maps lead back to src/.
 */
let profileFlagsFor: (spec: ServerSpec) => string[] = () => [];
export const setProfileFlags = (flagsFor: (spec: ServerSpec) => string[]): void => {
  profileFlagsFor = flagsFor;
};

/**
 * The child's command line: `node [flags] <script or bundle> [--dir d | --store url]`, or `node [flags] bin/yparty.js
 * start …` in `cwd`.
 */
async function childCommand(spec: ServerSpec, dir: string | undefined, cwd: string | undefined, store: string | undefined): Promise<ChildCommand> {
  const flags = profileFlagsFor(spec);
  if ("cli" in spec.launch) return { argv: [...flags, ...cliArgs(dir)], cwd, readyPort: cliReadyPort };
  const { script } = spec.launch;
  const args = dir ? ["--dir", dir] : store ? ["--store", store] : [];
  return scriptCommand(script, args, flags, flags.length > 0 ? await bundledEntry(script) : undefined);
}

export async function startTarget(spec: ServerSpec): Promise<Target> {
  if ("cli" in spec.launch) assertBuilt();
  // A CLI child runs in an empty folder of its own: no config to find, nothing of the project's to read.
  const cwd = "cli" in spec.launch ? await mkdtemp(join(tmpdir(), `yparty-bench-${spec.id}-cwd-`)) : undefined;
  const dir = spec.persistent ? await mkdtemp(join(tmpdir(), `yparty-bench-${spec.id}-`)) : undefined;
  // A PostgreSQL server of its own, like the temp folder of a LevelDB target (its CPU is not the server's).
  const postgres: Engine | undefined = spec.postgres ? await startPostgres() : undefined;
  const removeFolders = () => Promise.all([...[dir, cwd].map((folder) => folder && rm(folder, { recursive: true, force: true })), postgres?.cleanup()]);
  const command = await childCommand(spec, dir, cwd, postgres?.url);
  const launch = (): Promise<ServerProcess> => ServerProcess.start(spec.label, command);
  let server: ServerProcess;
  try {
    server = await launch();
  } catch (error) {
    await removeFolders();
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
      await removeFolders();
    },
  };
  return target;
}
