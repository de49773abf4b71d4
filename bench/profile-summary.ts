/**
 * `node --import tsx bench/profile-summary.ts <file.cpuprofile>...`: the hottest functions (self time) and
 * files of V8 CPU profiles, as written by `npm run bench -- --cpu-prof` (bench/results/profiles/).
 * Positions are file:line (1-based) of the running (tsx-compiled) code, which keeps the source's lines.
 */
import { readFile } from "node:fs/promises";
import { relative } from "node:path";
import { fileURLToPath } from "node:url";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
}

/** Rows shown per table. */
const TOP = 20;

const where = (url: string, line: number): string => {
  const path = url.startsWith("file://") ? relative(process.cwd(), fileURLToPath(url)) : url || "(native)";
  return `${path}:${line + 1}`;
};

export function summarizeProfiles(profiles: readonly CpuProfile[]): string {
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  let totalMs = 0;
  for (const profile of profiles) {
    const msPerSample = (profile.endTime - profile.startTime) / 1000 / Math.max(1, profile.samples.length);
    for (const node of profile.nodes) {
      const ms = (node.hitCount ?? 0) * msPerSample;
      if (ms === 0) continue;
      totalMs += ms;
      const { functionName, url, lineNumber } = node.callFrame;
      const fnKey = `${functionName || "(anonymous)"}  ${where(url, lineNumber)}`;
      byFunction.set(fnKey, (byFunction.get(fnKey) ?? 0) + ms);
      const fileKey = url ? where(url, -1).replace(/:0$/, "") : `(${functionName})`;
      byFile.set(fileKey, (byFile.get(fileKey) ?? 0) + ms);
    }
  }
  const table = (title: string, entries: Map<string, number>): string[] => [
    `${title} (self time, of ${Math.round(totalMs)} ms sampled)`,
    ...[...entries]
      .sort((a, b) => b[1] - a[1])
      .slice(0, TOP)
      .map(([key, ms]) => `${((100 * ms) / totalMs).toFixed(1).padStart(5)} %  ${Math.round(ms).toString().padStart(6)} ms  ${key}`),
    "",
  ];
  return [...table("Hottest functions", byFunction), ...table("Hottest files", byFile)].join("\n");
}

// Run as a script (not when imported by run.ts).
const files = import.meta.url === `file://${process.argv[1]}` ? process.argv.slice(2) : [];
if (files.length > 0) {
  const profiles = await Promise.all(files.map(async (file) => JSON.parse(await readFile(file, "utf8")) as CpuProfile));
  process.stdout.write(summarizeProfiles(profiles));
}
