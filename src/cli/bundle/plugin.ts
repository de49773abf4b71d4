/**
 * The esbuild plugins that resolve yparty's and PartyKit's import names (modules.ts): server bundles import yparty's
 * files and its one copy of yjs / y-protocols / lib0 from outside the bundle; browser bundles bundle yparty's sources,
 * with the page's singletons (yjs, react, …) resolved from the project first.
 */
import type { Plugin } from "esbuild";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { compatibleModules, packageDir, pageSingletons, sharedPackages, sharedPackageUrl } from "./modules.js";

const compatibleFilter = new RegExp(
  `^(${Object.keys(compatibleModules)
    .map((name) => name.replace(/[/-]/g, "\\$&"))
    .join("|")})$`,
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

/** A package import: not relative or absolute (esbuild filters are Go regexps: no lookahead; URLs are skipped below). */
const bareImport = /^[^./]/;
const schemeImport = /^[a-z]+:/;

/**
 * Browser bundles: the same names, bundled from yparty's sources (the provider is browser-safe). Packages
 * those sources import, and the page's singletons (yjs, react, …) wherever imported, resolve from the
 * project first: installed from a folder, yparty has its own node_modules, and a second Yjs or React in the
 * page breaks it ("Yjs was already imported", "Invalid hook call"). yparty's copy is the fallback.
 */
export function browserModulesPlugin(projectRoot: string): Plugin {
  const fromYparty = (importer: string) => importer === packageDir || importer.startsWith(packageDir + path.sep);
  return {
    name: "yparty-browser-modules",
    setup(build) {
      build.onResolve({ filter: compatibleFilter }, (args) => ({ path: compatibleModules[args.path]! }));
      build.onResolve({ filter: bareImport }, async (args) => {
        if ((args.pluginData as { projectFirst?: boolean } | undefined)?.projectFirst || schemeImport.test(args.path)) return undefined;
        if (!pageSingletons.test(args.path) && !fromYparty(args.importer)) return undefined;
        const resolved = await build.resolve(args.path, { kind: args.kind, resolveDir: projectRoot, pluginData: { projectFirst: true } });
        return resolved.errors.length > 0 ? undefined : resolved;
      });
    },
  };
}
