/**
 * esbuild's error for an import of a package that is not installed ends with `You can mark the path "x" as external
 * to exclude it from the bundle…`: advice for a library's author, which leaves a bundle that fails when it runs.
 * What the user needs is to install the package: that error says so instead, keeping its file:line.
 */
import { existsSync } from "node:fs";
import { isBuiltin } from "node:module";
import path from "node:path";
import type { PartialMessage } from "esbuild";

const UNRESOLVED = /^Could not resolve "([^"]+)"$/;

/** The package a bare import names (`@scope/name`, `name`), its subpath left out; undefined for a relative, absolute, `#` or `x:` path. */
export function packageOf(specifier: string): string | undefined {
  if (/^[./#]/.test(specifier) || /^[a-z][a-z0-9+.-]*:/i.test(specifier)) return undefined;
  const [first, second] = specifier.split("/");
  if (!first?.startsWith("@")) return first || undefined;
  return second ? `${first}/${second}` : undefined;
}

/** The nearest folder from `dir` up holding `node_modules/<pkg>` (found: installed), else none. */
function installedFrom(dir: string, pkg: string): boolean {
  for (let at = dir; ; at = path.dirname(at)) {
    if (existsSync(path.join(at, "node_modules", pkg))) return true;
    if (path.dirname(at) === at) return false;
  }
}

/** Where `npm install` adds to the importer's project: the nearest folder with a package.json, else `root`. */
function projectOf(dir: string, root: string): string {
  for (let at = dir; ; at = path.dirname(at)) {
    if (existsSync(path.join(at, "package.json"))) return at;
    if (path.dirname(at) === at) return root;
  }
}

/**
 * The package an unresolved import names when it is installed nowhere above its importer, and the folder whose
 * package.json `npm install` adds it to; undefined for any other error (an installed package that does not resolve,
 * a subpath it does not export, keeps esbuild's own notes, which say why; so does a Node built-in in a browser build).
 */
export function missingPackage(error: PartialMessage, root: string): { specifier: string; pkg: string; project: string } | undefined {
  const unresolved = unresolvedPackage(error, root);
  return unresolved && !unresolved.installed ? unresolved : undefined;
}

/**
 * The package an unresolved import names, whether a folder of that name is installed above its importer, and the
 * folder whose package.json `npm install` adds it to; undefined for any other error.
 */
export function unresolvedPackage(error: PartialMessage, root: string): { specifier: string; pkg: string; project: string; installed: boolean } | undefined {
  const specifier = UNRESOLVED.exec(error.text ?? "")?.[1];
  const pkg = specifier === undefined ? undefined : packageOf(specifier);
  if (specifier === undefined || pkg === undefined || isBuiltin(pkg)) return undefined;
  const importer = error.location?.file;
  const dir = importer && !importer.includes(":") ? path.dirname(path.resolve(root, importer)) : root;
  return { specifier, pkg, project: projectOf(dir, root), installed: installedFrom(dir, pkg) };
}

/**
 * What the package managers write at the end of an install, in the node_modules folder: npm (7 and later), pnpm,
 * yarn 1, yarn 2+ with its node_modules linker.
 */
const INSTALL_RECORDS = [".package-lock.json", ".modules.yaml", ".yarn-integrity", ".yarn-state.yml"];

/**
 * The files an install of the missing package changes, for `dev` to rebuild on: the package.json it is added to (when
 * it did not list the package yet); the node_modules folder appearing, the package's folder (its scope's) appearing in
 * it, and the install record written last (when package.json listed it already, `npm install` leaves package.json as
 * it was). A workspace's install goes to the node_modules of a folder above: those that exist are watched too.
 * Also for a package whose folder is there but does not resolve: an install still writing it (its folder appears
 * first, then its files) rebuilds again when its record is written.
 */
export function installSignals(missing: { pkg: string; project: string }): string[] {
  const top = missing.pkg.split("/")[0]!;
  const signals = [path.join(missing.project, "package.json"), path.join(missing.project, "node_modules")];
  for (let at = missing.project; ; at = path.dirname(at)) {
    const modules = path.join(at, "node_modules");
    if (at === missing.project || existsSync(modules)) signals.push(path.join(modules, top), ...INSTALL_RECORDS.map((name) => path.join(modules, name)));
    if (path.dirname(at) === at) return signals;
  }
}

/** `errors` with each import of a package that is not installed told as such, with the `npm install` to run. */
export function adviseInstall(errors: PartialMessage[], root: string): PartialMessage[] {
  return errors.map((error) => {
    const missing = missingPackage(error, root);
    if (!missing) return error;
    const where = path.resolve(missing.project) === process.cwd() ? "" : ` in ${missing.project}`;
    return {
      ...error,
      text: `Could not resolve "${missing.specifier}": the package "${missing.pkg}" is not installed`,
      notes: [{ text: `Install it: run \`npm install ${missing.pkg}\`${where}.`, location: null }],
    };
  });
}
