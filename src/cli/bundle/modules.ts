/**
 * Where yparty's own modules are (the built server bundle, tsc's output, or the sources under tsx), and which import
 * names map to them: PartyKit's (`partykit/server`, `y-partykit`, …) and yparty's package names. Both bundlers use it,
 * so a project's code imports the very files the CLI runs.
 */
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/**
 * Where yparty's own modules are, seen from this file: in the server bundle `dist/server/` once built
 * (scripts/bundle-server.mjs), or `src/cli/bundle/*.ts` when run from source (tsx), or tsc's per-file
 * `dist/src/cli/bundle/*.js`. User bundles import these exact files, so the user's code and the CLI share one
 * runtime, one Yjs layer and one copy of `yjs`: in the bundle, the entries the CLI itself was built with.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const ext = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
const bundleDir = path.basename(here) === "server" && path.basename(path.dirname(here)) === "dist" ? here : undefined;
const srcDir = bundleDir ? path.join(bundleDir, "..", "src") : path.resolve(here, "..", "..");
/** yparty's own folder (the repository, or node_modules/yparty once installed): the files it ships live here. */
export const packageDir = path.resolve(srcDir, "..");
/** A server-side entry: the bundle's `<entry>.js`, or `file` (without extension) under the sources' root. */
const serverModule = (entry: string, file: string): string => (bundleDir ? path.join(bundleDir, `${entry}.js`) : path.join(packageDir, `${file}${ext}`));

export const yparty = {
  runtime: serverModule("runtime", "src/runtime/index"),
  yjs: serverModule("yjs", "src/yjs/index"),
  yjsStorage: serverModule("y-partykit-storage", "src/yjs/y-partykit-storage"),
  provider: path.join(packageDir, "provider", `index${ext}`),
  react: path.join(packageDir, "provider", `react${ext}`),
  persistence: serverModule("persistence", "persistence/index"),
  rooms: serverModule("rooms", "src/rooms/index"),
  game: serverModule("game", "src/game/index"),
  roomsClient: path.join(packageDir, "rooms-client", `index${ext}`),
  gameClient: path.join(packageDir, "game-client", `index${ext}`),
} as const;

/** Import specifiers PartyKit projects use, and yparty's own package names, mapped to our modules. */
export const compatibleModules: Record<string, string> = {
  "partykit/server": yparty.runtime,
  "y-partykit": yparty.yjs,
  "y-partykit/storage": yparty.yjsStorage,
  "y-partykit/provider": yparty.provider,
  "y-partykit/react": yparty.react,
  "yparty/server": yparty.runtime,
  "yparty/yjs": yparty.yjs,
  "yparty/provider": yparty.provider,
  "yparty/react": yparty.react,
  "yparty/persistence": yparty.persistence,
  "yparty/rooms": yparty.rooms,
  "yparty/game": yparty.game,
  "yparty/rooms-client": yparty.roomsClient,
  "yparty/game-client": yparty.gameClient,
};

/** Packages that must exist once per process (Yjs warns and breaks `instanceof` with two copies). */
export const sharedPackages = /^(yjs|y-protocols|lib0)(\/.*)?$/;

/** Packages a page must hold once: Yjs's family, and React (two copies: "Invalid hook call"). */
export const pageSingletons = /^(yjs|y-protocols|lib0|react|react-dom|scheduler)(\/.*)?$/;

const requireHere = createRequire(import.meta.url);

/**
 * The file URL of a shared package as yparty's own code imports it, or undefined when it is not installed.
 * Resolves the ESM entry ("import" condition) like Node's own `import`.
 */
export function sharedPackageUrl(specifier: string): string | undefined {
  try {
    return import.meta.resolve(specifier);
  } catch {
    try {
      return pathToFileURL(requireHere.resolve(specifier)).href;
    } catch {
      return undefined;
    }
  }
}
