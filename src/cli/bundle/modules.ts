import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/**
 * Where yparty's own modules are, seen from this file: `dist/src/cli/bundle/*.js` once built, or
 * `src/cli/bundle/*.ts` when run from source (tsx). User bundles import these exact files, so the user's
 * code and the CLI share one runtime, one Yjs layer and one copy of `yjs`.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const ext = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
const srcDir = path.resolve(here, "..", "..");
/** yparty's own folder (the repository, or node_modules/yparty once installed): the files it ships live here. */
export const packageDir = path.resolve(srcDir, "..");

export const yparty = {
  runtime: path.join(srcDir, "runtime", `index${ext}`),
  yjs: path.join(srcDir, "yjs", `index${ext}`),
  provider: path.join(packageDir, "provider", `index${ext}`),
  react: path.join(packageDir, "provider", `react${ext}`),
  persistence: path.join(packageDir, "persistence", `index${ext}`),
  rooms: path.join(srcDir, "rooms", `index${ext}`),
  game: path.join(srcDir, "game", `index${ext}`),
  roomsClient: path.join(packageDir, "rooms-client", `index${ext}`),
  gameClient: path.join(packageDir, "game-client", `index${ext}`),
} as const;

/** Import specifiers PartyKit projects use, and yparty's own package names, mapped to our modules. */
export const compatibleModules: Record<string, string> = {
  "partykit/server": yparty.runtime,
  "y-partykit": yparty.yjs,
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
