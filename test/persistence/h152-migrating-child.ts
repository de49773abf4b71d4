/**
 * A cluster node's start on the PostgreSQL URL argv[2]: prints each progress line's stage of its schema migration as it
 * comes, then "ready" once open, and stays open until killed (h152-pg-migration-killed).
 */
import { openStorage } from "../../persistence/index.js";

const storage = await openStorage({ url: process.argv[2]!, mode: "cluster", onWarning: () => undefined, onProgress: (line) => console.log(line.stage) });
console.log("ready");
setInterval(() => storage, 60_000); // keeps `storage` reachable until the parent kills us
