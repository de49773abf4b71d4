/** Bundles the server side of dist/ into dist/server/ (see bundle-server.mjs). */
export declare function bundleServer(): Promise<void>;
