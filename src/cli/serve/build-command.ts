/**
 * The config's `build.command`, run in a shell in its own process group (before the server starts, and in `yparty dev`
 * on changes to `build.watch`), so that a shutdown stops what the shell started too, not the shell alone.
 */
import { spawn } from "node:child_process";
import { CliError } from "../errors.js";

/** How long a stopped build command gets to end after SIGTERM before its process group is killed. */
const STOP_GRACE_MS = 3_000;

/**
 * Runs the config's `build.command` in a shell, output passed through; rejects with `ERR_BUILD_COMMAND` on failure.
 * `stop` (a shutdown signal) ends the command's whole process group (the shell and what it started, such as
 * `npm run build`'s node), then rejects with the signal's reason.
 */
export function runBuildCommand(command: string, cwd: string, stop?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    // Its own process group, so a stop reaches the commands the shell started, not only the shell.
    const child = spawn(command, { cwd, shell: true, stdio: ["ignore", "inherit", "inherit"], detached: true });
    const killGroup = (signal: NodeJS.Signals) => {
      try {
        // Windows has no process groups to signal: the shell alone.
        if (process.platform === "win32") child.kill(signal);
        else process.kill(-child.pid!, signal);
      } catch {
        // The group has ended already.
      }
    };
    const onStop = () => {
      killGroup("SIGTERM");
      setTimeout(() => killGroup("SIGKILL"), STOP_GRACE_MS).unref();
    };
    if (stop?.aborted) onStop();
    else stop?.addEventListener("abort", onStop, { once: true });
    child.on("error", (error) => reject(new CliError("ERR_BUILD_COMMAND", `build.command "${command}" could not start: ${error.message}`)));
    child.on("exit", (code, signal) => {
      stop?.removeEventListener("abort", onStop);
      if (stop?.aborted) reject(stop.reason);
      else if (code === 0) resolve();
      else reject(new CliError("ERR_BUILD_COMMAND", `build.command "${command}" failed (${signal ?? `exit code ${code}`})`));
    });
  });
}
