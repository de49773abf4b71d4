import type { Plugin } from "esbuild";
import { pathToFileURL } from "node:url";
import { compatibleModules, sharedPackages, sharedPackageUrl } from "./modules.js";

const compatibleFilter = new RegExp(
  `^(${Object.keys(compatibleModules).map((name) => name.replace(/[/-]/g, "\\$&")).join("|")})$`,
);

/**
 * Server bundles: `partykit/server`, `y-partykit`, `yparty/*` become imports of yparty's own files, and
 * yjs / y-protocols / lib0 imports of yparty's copies, all left external so the process holds one of each.
 */
export function serverModulesPlugin(): Plugin {
  return {
    name: "yparty-server-modules",
    setup(build) {
      build.onResolve({ filter: compatibleFilter }, (args) => ({
        path: pathToFileURL(compatibleModules[args.path]!).href,
        external: true,
      }));
      build.onResolve({ filter: sharedPackages }, (args) => {
        const url = sharedPackageUrl(args.path);
        return url ? { path: url, external: true } : undefined;
      });
    },
  };
}

/** Browser bundles: the same names, bundled from yparty's sources (the provider is browser-safe). */
export function browserModulesPlugin(): Plugin {
  return {
    name: "yparty-browser-modules",
    setup(build) {
      build.onResolve({ filter: compatibleFilter }, (args) => ({ path: compatibleModules[args.path]! }));
    },
  };
}
