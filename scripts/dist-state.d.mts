/** The source folders `npm run build` compiles, from tsconfig.build.json (read as tsc reads it); throws when it cannot be read. */
export declare function builtSourceDirs(root: string): string[];
/**
 * "missing" (never built), "stale" (a source is newer than the build), "fresh", or "unknown" (tsconfig.build.json
 * cannot be read: `reason` says why).
 */
export declare function distState(root: string): { state: "missing" | "stale" | "fresh" | "unknown"; reason?: string };
