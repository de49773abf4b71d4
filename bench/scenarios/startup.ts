/**
 * (6) Start-up: process spawn → listening (the child announced its port), for every server, over a few restarts.
 * For `yparty start` this is what a user waits for, Node's own start included; the scripts under tsx pay tsx's
 * compile too, so their figure is only a reference.
 */
import { median } from "../stats.js";
import type { Metrics, Scenario } from "./types.js";

export const startup: Scenario = {
  id: "startup",
  title: "Process start to listening",
  appliesTo: () => true,
  async run(target, profile) {
    const times = [target.server.readyAt - target.server.spawnedAt];
    for (let i = 1; i < profile.startup.starts; i++) {
      await target.restart();
      times.push(target.server.readyAt - target.server.spawnedAt);
    }
    return { startMs: median(times), starts: times.length } satisfies Metrics;
  },
};
