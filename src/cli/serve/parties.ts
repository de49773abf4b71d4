/**
 * The parties a project serves: its entries (and the protocol mounts' modules) built into one bundle and loaded,
 * rebuilt on demand for `yparty dev`; without code of its own, the built-in Yjs party, with no bundler loaded.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { PartyModule } from "../../runtime/index.js";
import type { ServerBuilder } from "../bundle/server.js";
import type { ProjectConfig } from "../config/resolve.js";
import { ConfigProblems } from "../config/problems.js";
import { CliError } from "../errors.js";
import { createMountSources } from "./mounts.js";
import type { RouteHandler, SocketHandler } from "../../runtime/index.js";

export type Parties = Record<string, PartyModule>;

/** `unchanged`: the bundle is byte for byte the last one (nothing to reload; `parties` are the last ones). */
export type RebuildOutcome = { ok: true; parties: Parties; warnings: string[]; unchanged?: boolean } | { ok: false; message: string };

/** The party modules of a project, built from its entries; rebuilt on demand (`yparty dev`). */
export interface PartySource {
  /** Human description per party, e.g. `main (src/server.ts)`. */
  readonly description: string[];
  rebuild(): Promise<RebuildOutcome>;
  /** `createServer({ sockets })`: the sockets of the protocols the config mounts (`rooms`, `game`). */
  readonly sockets: Record<string, SocketHandler>;
  /** `createServer({ routes })`: the game's REST API when the config has `game`. */
  readonly routes: RouteHandler[];
  /** Files the last build read (what `dev` watches). Empty when there is nothing to build. */
  inputs(): string[];
  dispose(): Promise<void>;
}

/** Without a `main` entry, the main party is the built-in Yjs party: every room a persisted Yjs document. */
async function builtInMain(): Promise<Parties> {
  const { DocumentParty } = await import("../../yjs/index.js");
  return { main: DocumentParty as unknown as PartyModule };
}

/** esbuild refuses a whole build for one bad `define`: a config mistake (exit 2) that names the entry. */
async function throwIfDefinesRefused(project: ProjectConfig): Promise<void> {
  const given = Object.fromEntries(Object.keys(project.defineOrigins).map((key) => [key, project.define[key]!]));
  const refused = await (await import("../bundle/define-check.js")).refusedDefines(given);
  const problems = new ConfigProblems();
  for (const { key, message } of refused) {
    const { source, field } = project.defineOrigins[key]!;
    problems.of(source)(field, message);
  }
  problems.throwIfAny();
}

export async function createPartySource(project: ProjectConfig, define: Record<string, string>, color: boolean): Promise<PartySource> {
  const mounts = await createMountSources(project);
  const entries: Record<string, string> = { ...(project.main ? { main: project.main } : {}), ...project.parties, ...mounts.entries };
  const describeEntry = (name: string) => `${name} (${path.relative(process.cwd(), entries[name]!) || entries[name]})`;
  const description = [...(project.main ? [] : ["main (built-in Yjs documents)"]), ...Object.keys(entries).map(describeEntry)];
  if (Object.keys(entries).length === 0) {
    // Nothing to build, yet a bad define is still the mistake docs/cli.md says stops the start (esbuild is loaded for it
    // only when there are defines of the user's: the start of a project without code stays as fast).
    if (Object.keys(project.defineOrigins).length > 0) await throwIfDefinesRefused(project);
    return {
      description,
      sockets: {},
      routes: [],
      rebuild: async () => ({ ok: true, parties: await builtInMain(), warnings: [] }),
      inputs: () => [],
      dispose: async () => {},
    };
  }
  // The bundler and the bundle loader are loaded only for a project with code of its own to build.
  const [{ createServerBuilder }, { loadBundle }] = await Promise.all([import("../bundle/server.js"), import("../bundle/load.js")]);
  const outDir = await mkdtemp(path.join(os.tmpdir(), "yparty-build-"));
  let builder: ServerBuilder;
  try {
    builder = await createServerBuilder({ entries, root: project.root, outDir, define, alias: project.alias, minify: project.minify, color });
  } catch (error) {
    await rm(outDir, { recursive: true, force: true });
    await throwIfDefinesRefused(project);
    throw new CliError("ERR_BUILD", `Cannot start the bundler (esbuild): ${(error as Error).message}`, { cause: error });
  }
  let inputs: string[] = Object.values(entries);
  let last: Parties | undefined;
  return {
    description,
    sockets: mounts.sockets,
    routes: mounts.routes,
    async rebuild() {
      const outcome = await builder.build();
      inputs = outcome.inputs;
      if (!outcome.ok) return { ok: false, message: `The server code failed to build:\n${outcome.message}` };
      if (outcome.unchanged && last) return { ok: true, parties: last, warnings: outcome.warnings, unchanged: true };
      try {
        const others = { names: new Set(Object.keys(mounts.entries)), found: {} as Record<string, unknown> };
        const parties = await loadBundle(outcome.file, entries, project.root, others);
        const main = project.main ? {} : await builtInMain();
        last = { ...main, ...parties, ...mounts.mount(others.found) };
        return { ok: true, parties: last, warnings: outcome.warnings };
      } catch (error) {
        // Not a bundle to keep serving: the same bytes saved again must load (and fail) again, not reuse `last`.
        last = undefined;
        if (error instanceof CliError) return { ok: false, message: error.message };
        throw error;
      }
    },
    inputs: () => inputs,
    async dispose() {
      await builder.dispose();
      await rm(outDir, { recursive: true, force: true });
    },
  };
}
