/**
 * (6) Start-up: process spawn → listening (the child announced its port), for every server, over a few restarts.
 * For `yparty start` this is what a user waits for, Node's own start included; the scripts under tsx pay tsx's
 * compile too, so their figure is only a reference.
 */
import { spawn } from "node:child_process";
import { median } from "../stats.js";
import type { Metrics, Scenario } from "./types.js";

/** Spawn → exit of `node -e 0`: what Node's own start costs on this machine right now, beside each server's. */
function bareNodeMs(): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["-e", "0"], { stdio: "ignore" });
    child.once("error", reject);
    child.once("exit", () => resolve(performance.now() - started));
  });
}

export const startup: Scenario = {
  id: "startup",
  title: "Process start to listening",
  appliesTo: () => true,
  async run(target, profile) {
    const times = [target.server.readyAt - target.server.spawnedAt];
    const bare = [await bareNodeMs()];
    for (let i = 1; i < profile.startup.starts; i++) {
      await target.restart();
      times.push(target.server.readyAt - target.server.spawnedAt);
      bare.push(await bareNodeMs());
    }
    return { startMs: median(times), bareNodeMs: median(bare), starts: times.length } satisfies Metrics;
  },
};
