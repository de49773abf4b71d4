/**
 * Static files for `yparty dev|start` (the config's `serve`): GET and HEAD from one folder, never a dotfile nor the
 * data folder (through a symlink either), with an `index.html` fallback for single-page apps; anything it has not
 * got falls through to the next handler.
 */
import { readFile, realpath, stat } from "node:fs/promises";
import path from "node:path";
import type { AssetHandler } from "../runtime/index.js";

const contentTypes: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".ico": "image/x-icon",
  ".wasm": "application/wasm",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
};

export interface StaticOptions {
  /** Absolute folder to serve. */
  root: string;
  /** Unknown paths without an extension answer `index.html` (client-side routing). */
  singlePageApp?: boolean;
  /** Cache-Control max-age in seconds; `null`/absent = no caching header. */
  browserTTL?: number | null;
  /**
   * Absolute folders never served, even inside `root` or through a symlink: the data folder (LevelDB files and
   * the admin token's file).
   */
  hidden?: string[];
}

/** Dot-named files and folders (`.env`, `.git`, `.yparty`) are never served; `.well-known` is public by design. */
function isDotPath(pathname: string): boolean {
  return pathname.split("/").some((segment) => segment.startsWith(".") && segment !== ".well-known");
}

/** The real location of a path, or the path itself if it does not exist (yet). */
async function realLocation(file: string): Promise<string> {
  return realpath(file).catch(() => file);
}

const isInside = (file: string, folder: string) => file === folder || file.startsWith(folder + path.sep);

async function isFile(file: string): Promise<boolean> {
  return (await stat(file).catch(() => undefined))?.isFile() === true;
}

/** The file a URL path names inside `root`, or undefined if it escapes `root`, is malformed or names a dotfile. */
function fileFor(root: string, pathname: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  if (decoded.includes("\0") || isDotPath(path.posix.normalize(decoded))) return undefined;
  const file = path.resolve(root, `.${path.posix.normalize(decoded)}`);
  if (file !== root && !file.startsWith(root + path.sep)) return undefined;
  return decoded.endsWith("/") ? path.join(file, "index.html") : file;
}

async function respond(file: string, method: string, browserTTL: number | null | undefined): Promise<Response> {
  const body = await readFile(file);
  const headers: Record<string, string> = {
    "content-type": contentTypes[path.extname(file).toLowerCase()] ?? "application/octet-stream",
    "content-length": String(body.byteLength),
  };
  if (browserTTL != null) headers["cache-control"] = `public, max-age=${browserTTL}`;
  return new Response(method === "HEAD" ? null : body, { status: 200, headers });
}

/** Serves files from a folder for GET/HEAD; anything it does not have falls through to the next handler. */
export function staticFiles(options: StaticOptions): AssetHandler {
  const root = path.resolve(options.root);
  const hidden = (options.hidden ?? []).map((folder) => path.resolve(folder));
  /** A file to serve: it exists and neither it nor what it links to is in a hidden folder (which may appear later). */
  const servable = async (file: string) => {
    if (!(await isFile(file))) return false;
    const real = await realLocation(file);
    for (const folder of hidden) {
      if (isInside(file, folder) || isInside(real, await realLocation(folder))) return false;
    }
    return true;
  };
  return async (request) => {
    if (request.method !== "GET" && request.method !== "HEAD") return undefined;
    const { pathname } = new URL(request.url);
    const file = fileFor(root, pathname);
    if (file === undefined) return undefined;
    if (await servable(file)) return respond(file, request.method, options.browserTTL);
    if (options.singlePageApp && path.extname(pathname) === "") {
      const index = path.join(root, "index.html");
      if (await servable(index)) return respond(index, request.method, options.browserTTL);
    }
    return undefined;
  };
}
