/**
 * A built server bundle imported and checked: each party's default export must be a Party.Server class or a
 * PartyKit object with hooks, and code that throws while loading is an `ERR_BAD_ENTRY` naming the entry file.
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import { CliError } from "../errors.js";
import type { PartyModule } from "../../runtime/index.js";
import { provideUrlPattern } from "../../runtime/url-pattern.js";

const hooks = ["onConnect", "onRequest", "onMessage", "onBeforeConnect", "onBeforeRequest", "onClose", "onError"];

/** A Party.Server class, or a legacy object with at least one hook (PartyKit's object API). */
function isPartyModule(value: unknown): value is PartyModule {
  if (typeof value === "function") return true;
  return typeof value === "object" && value !== null && hooks.some((hook) => typeof (value as Record<string, unknown>)[hook] === "function");
}

function describe(value: unknown): string {
  if (value === undefined) return "no default export";
  if (value === null) return "null";
  if (typeof value === "object") return `an object with ${Object.keys(value).join(", ") || "no fields"}`;
  return `a ${typeof value}`;
}

/**
 * Imports a server bundle and returns its parties. A module that throws while loading, or a default export
 * that is not a party, is an `ERR_BAD_ENTRY` naming the entry file.
 */
export async function loadBundle(
  file: string,
  entries: Record<string, string>,
  root: string,
  /** Entries that are not parties (the rooms and game modules): their default exports go to `found`, unchecked. */
  others?: { names: ReadonlySet<string>; found: Record<string, unknown> },
): Promise<Record<string, PartyModule>> {
  let loaded: { parties: Record<string, Record<string, unknown>> };
  // Stack traces from the user's bundled server code point into their TypeScript files. Turned on here, not at
  // start-up: Node then reads the source map of every module loaded after, and yparty's own are not worth the time.
  process.setSourceMapsEnabled(true);
  provideUrlPattern(); // before the import: a module may build its patterns at load
  try {
    loaded = (await import(pathToFileURL(file).href)) as typeof loaded;
  } catch (error) {
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    throw new CliError("ERR_BAD_ENTRY", `The server code threw while loading:\n${detail}`, { cause: error });
  }
  const parties: Record<string, PartyModule> = {};
  for (const [name, namespace] of Object.entries(loaded.parties)) {
    const candidate = namespace.default;
    if (others?.names.has(name)) {
      others.found[name] = candidate;
      continue;
    }
    if (!isPartyModule(candidate)) {
      const entry = path.relative(root, entries[name] ?? name);
      throw new CliError(
        "ERR_BAD_ENTRY",
        `${entry} (party "${name}"): the default export must be a Party.Server class or an object with onConnect/onRequest; got ${describe(candidate)}.`,
      );
    }
    parties[name] = candidate;
  }
  return parties;
}
