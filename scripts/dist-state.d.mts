/** The source folders `npm run build` compiles, from tsconfig.build.json. */
export declare function builtSourceDirs(root: string): string[];
/** "missing" (never built), "stale" (a source is newer than the build) or "fresh". */
export declare function distState(root: string): "missing" | "stale" | "fresh";
