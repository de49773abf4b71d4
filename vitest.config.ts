import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  // examples/ import yparty by its package names; tests run them against the sources.
  resolve: {
    alias: {
      "yparty/rooms": fileURLToPath(new URL("./src/rooms/index.ts", import.meta.url)),
      "yparty/game": fileURLToPath(new URL("./src/game/index.ts", import.meta.url)),
    },
  },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Servers, LevelDB folders and child processes are real: keep the suite within two cores.
    maxWorkers: 2,
    // dist/ is rebuilt once per run: the CLI and demo tests spawn the real `bin/yparty.js`.
    globalSetup: ["test/cli/global-setup.ts"],
  },
});
