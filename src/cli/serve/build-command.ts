import { spawn } from "node:child_process";
import { CliError } from "../errors.js";

/** Runs the config's `build.command` in a shell, output passed through; rejects with `ERR_BUILD_COMMAND` on failure. */
export function runBuildCommand(command: string, cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, { cwd, shell: true, stdio: ["ignore", "inherit", "inherit"] });
    child.on("error", (error) => reject(new CliError("ERR_BUILD_COMMAND", `build.command "${command}" could not start: ${error.message}`)));
    child.on("exit", (code, signal) => {
      if (code === 0) resolve();
      else reject(new CliError("ERR_BUILD_COMMAND", `build.command "${command}" failed (${signal ?? `exit code ${code}`})`));
    });
  });
}
