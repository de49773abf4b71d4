/** Bundles the server side of dist/ into dist/server/ (see bundle-server.mjs). */
export declare function bundleServer(): Promise<void>;
/** Entry name (dist/server/<name>.js) → the file tsc emitted. */
export declare const SERVER_ENTRIES: Record<string, string>;
