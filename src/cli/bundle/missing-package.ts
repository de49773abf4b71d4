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
  const specifier = UNRESOLVED.exec(error.text ?? "")?.[1];
  const pkg = specifier === undefined ? undefined : packageOf(specifier);
  if (specifier === undefined || pkg === undefined || isBuiltin(pkg)) return undefined;
  const importer = error.location?.file;
  const dir = importer && !importer.includes(":") ? path.dirname(path.resolve(root, importer)) : root;
  return installedFrom(dir, pkg) ? undefined : { specifier, pkg, project: projectOf(dir, root) };
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
