/**
 * `node --import tsx bench/profile-window.ts <file.cpuprofile> <fromMicros> <toMicros> [out]`: the part of a V8 CPU
 * profile between two monotonic times (µs, as `process.hrtime.bigint() / 1000n` reads them in any process: V8 stamps
 * samples with the same clock), written as a profile of its own for `bench/profile-summary.ts` (hit counts
 * recounted; line ticks dropped, they cannot be split by time). Also prints the functions with the most time
 * under them (inclusive), which the summary's self-time tables do not show.
 */
import { readFile, writeFile } from "node:fs/promises";
import type { CpuProfile } from "./profile-summary.js";

interface TimedProfile extends CpuProfile {
  timeDeltas: number[];
  nodes: Array<CpuProfile["nodes"][number] & { positionTicks?: unknown }>;
}

export function profileWindow(profile: TimedProfile, from: number, to: number): TimedProfile {
  const samples: number[] = [];
  const timeDeltas: number[] = [];
  const hits = new Map<number, number>();
  let time = profile.startTime;
  let last = from;
  profile.samples.forEach((sample, index) => {
    time += profile.timeDeltas[index] ?? 0;
    if (time < from || time > to) return;
    samples.push(sample);
    timeDeltas.push(time - last);
    last = time;
    hits.set(sample, (hits.get(sample) ?? 0) + 1);
  });
  const nodes = profile.nodes.map(({ positionTicks: _dropped, ...node }) => ({ ...node, hitCount: hits.get(node.id) ?? 0 }));
  return { ...profile, nodes, samples, timeDeltas, startTime: from, endTime: to };
}

/** Milliseconds spent in each function or below it (a function on the stack twice counts once). */
export function inclusiveTimes(profile: TimedProfile): Array<[string, number]> {
  const msPerSample = (profile.endTime - profile.startTime) / 1000 / Math.max(1, profile.samples.length);
  const parentOf = new Map<number, TimedProfile["nodes"][number]>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node);
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const totals = new Map<string, number>();
  for (const node of profile.nodes) {
    const ms = (node.hitCount ?? 0) * msPerSample;
    if (ms === 0) continue;
    const seen = new Set<string>();
    for (let frame: TimedProfile["nodes"][number] | undefined = byId.get(node.id); frame; frame = parentOf.get(frame.id)) {
      const { functionName, url, lineNumber } = frame.callFrame;
      const key = `${functionName || "(anonymous)"} ${url.split("/").slice(-2).join("/")}:${lineNumber + 1}`;
      if (seen.has(key)) continue;
      seen.add(key);
      totals.set(key, (totals.get(key) ?? 0) + ms);
    }
  }
  return [...totals].sort((a, b) => b[1] - a[1]);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, from, to, out] = process.argv.slice(2) as [string, string, string, string | undefined];
  const profile = JSON.parse(await readFile(file, "utf8")) as TimedProfile;
  const window = profileWindow(profile, Number(from), Number(to));
  await writeFile(out ?? file.replace(/\.cpuprofile$/, ".window.cpuprofile"), JSON.stringify(window));
  for (const [key, ms] of inclusiveTimes(window).slice(0, 60)) process.stdout.write(`${Math.round(ms).toString().padStart(6)} ms  ${key}\n`);
}
