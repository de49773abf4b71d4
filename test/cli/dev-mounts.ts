/**
 * The mounts `yparty dev` makes (src/cli/serve/mounts.ts), made as dev makes them at each rebuild, for the tests of what
 * outlives a rebuild: a project folder whose yparty.json names a module per protocol, and its mount sources. `mount`
 * is one build: each protocol's module given as its default export.
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { resolveProject } from "../../src/cli/config/resolve.js";
import { createMountSources } from "../../src/cli/serve/mounts.js";
import type { PartyModule } from "../../src/runtime/index.js";
import { tempDir } from "./helpers.js";

export type ProtocolField = "rooms" | "game";

/** A protocol's module as a build exports it, and the parties a held seat store watches (held-seat-store.ts). */
export interface Protocol {
  field: ProtocolField;
  exported: unknown;
  /** The match room's party and the matchmaker's. */
  parties: [string, string];
}

/** Mount sources of a project with a module for each of `fields`; its folder goes with `defer`. */
export async function devMountSources(fields: readonly ProtocolField[], defer: (cleanup: () => unknown) => void) {
  const project = await tempDir();
  defer(project.remove);
  for (const field of fields) await writeFile(path.join(project.dir, `${field}.ts`), "export default {};\n");
  await writeFile(path.join(project.dir, "yparty.json"), JSON.stringify(Object.fromEntries(fields.map((field) => [field, `${field}.ts`]))));
  const sources = await createMountSources(resolveProject({ cwd: project.dir }));
  const mount = (exports: Partial<Record<ProtocolField, unknown>>): Record<string, PartyModule> =>
    sources.mount(Object.fromEntries(Object.entries(exports).map(([field, exported]) => [`yparty:${field}`, exported])));
  return { sources, mount };
}
