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
 * `errors` with each unresolved import of a package that is installed nowhere above its importer told as such, with
 * the `npm install` to run. An installed package that does not resolve (a subpath it does not export) keeps esbuild's
 * own notes, which say why; so does a Node built-in imported in a browser build.
 */
export function adviseInstall(errors: PartialMessage[], root: string): PartialMessage[] {
  return errors.map((error) => {
    const specifier = UNRESOLVED.exec(error.text ?? "")?.[1];
    const pkg = specifier === undefined ? undefined : packageOf(specifier);
    if (pkg === undefined || isBuiltin(pkg)) return error;
    const importer = error.location?.file;
    const dir = importer && !importer.includes(":") ? path.dirname(path.resolve(root, importer)) : root;
    if (installedFrom(dir, pkg)) return error;
    const project = projectOf(dir, root);
    const where = path.resolve(project) === process.cwd() ? "" : ` in ${project}`;
    return {
      ...error,
      text: `Could not resolve "${specifier}": the package "${pkg}" is not installed`,
      notes: [{ text: `Install it: run \`npm install ${pkg}\`${where}.`, location: null }],
    };
  });
}
