/**
 * `node --import tsx bench/profile-summary.ts <file.cpuprofile>...`: where the CPU time of V8 profiles went,
 * as written by `npm run bench -- --cpu-prof`. Profiled servers run as an esbuild bundle with a source map
 * (./servers/bundle.ts); positions are mapped back to the original file:line through it.
 *
 * Three tables: hottest functions (self time); time charged to the innermost yparty frame on the stack
 * (its own time plus the library calls under it: what a change in that function could save); hottest lines
 * of yparty code (self time).
 */
import { existsSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { SourceMap } from "node:module";
import { dirname, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
  positionTicks?: Array<{ line: number; ticks: number }>;
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
}

/** Rows shown per table. */
const TOP = 20;
/** Frames that are not work: the process waiting, or V8's bookkeeping. */
const NOT_WORK = new Set(["(idle)", "(program)"]);
/** Far right on a line: `findEntry` then returns the line's last mapping, which lies on that line. */
const END_OF_LINE = 1e6;

const sourceMaps = new Map<string, { map: SourceMap; dir: string } | null>();

function sourceMapOf(url: string): { map: SourceMap; dir: string } | null {
  if (!sourceMaps.has(url)) {
    const file = url.startsWith("file://") ? fileURLToPath(url) : "";
    const mapFile = `${file}.map`;
    sourceMaps.set(url, file && existsSync(mapFile) ? { map: new SourceMap(JSON.parse(readFileSync(mapFile, "utf8"))), dir: dirname(mapFile) } : null);
  }
  return sourceMaps.get(url) ?? null;
}

/** Original path (relative to the cwd) and 1-based line of a 0-based position in `url`. */
function original(url: string, line: number, column: number): { path: string; line: number } {
  const mapped = sourceMapOf(url);
  if (mapped) {
    const entry = mapped.map.findEntry(line, column) as { originalSource?: string; originalLine?: number };
    if (entry.originalSource !== undefined && entry.originalLine !== undefined) {
      const source = entry.originalSource.startsWith("file://") ? fileURLToPath(entry.originalSource) : resolve(mapped.dir, entry.originalSource);
      return { path: relative(process.cwd(), source), line: entry.originalLine + 1 };
    }
  }
  const path = url.startsWith("file://") ? relative(process.cwd(), fileURLToPath(url)) : url || "(native)";
  return { path, line: line + 1 };
}

/** yparty's own code: where a fix would go. */
const isOurs = (path: string): boolean => !path.includes("node_modules") && /^(src|persistence)\//.test(path);

export function summarizeProfiles(profiles: readonly CpuProfile[]): string {
  const byFunction = new Map<string, number>();
  const byOurFrame = new Map<string, number>();
  const byOurLine = new Map<string, number>();
  let totalMs = 0;
  const add = (map: Map<string, number>, key: string, ms: number): void => void map.set(key, (map.get(key) ?? 0) + ms);
  const place = (frame: CallFrame): { path: string; line: number } => original(frame.url, frame.lineNumber, frame.columnNumber);
  const label = (frame: CallFrame): string => {
    const at = place(frame);
    return `${frame.functionName || "(anonymous)"}  ${at.path}:${at.line}`;
  };
  for (const profile of profiles) {
    const msPerSample = (profile.endTime - profile.startTime) / 1000 / Math.max(1, profile.samples.length);
    const parentOf = new Map<number, ProfileNode>();
    for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node);
    for (const node of profile.nodes) {
      const ms = (node.hitCount ?? 0) * msPerSample;
      if (ms === 0 || NOT_WORK.has(node.callFrame.functionName)) continue;
      totalMs += ms;
      add(byFunction, label(node.callFrame), ms);
      let frame: ProfileNode | undefined = node;
      while (frame && !isOurs(place(frame.callFrame).path)) frame = parentOf.get(frame.id);
      add(byOurFrame, frame ? label(frame.callFrame) : "(not under yparty code: socket I/O, start-up, GC)", ms);
      if (isOurs(place(node.callFrame).path)) {
        for (const tick of node.positionTicks ?? []) {
          const at = original(node.callFrame.url, tick.line - 1, END_OF_LINE);
          add(byOurLine, `${at.path}:${at.line}`, tick.ticks * msPerSample);
        }
      }
    }
  }
  const table = (title: string, entries: Map<string, number>): string[] => [
    `${title} — of ${Math.round(totalMs)} ms of CPU work sampled`,
    ...[...entries]
      .sort((a, b) => b[1] - a[1])
      .slice(0, TOP)
      .map(([key, ms]) => `${((100 * ms) / totalMs).toFixed(1).padStart(5)} %  ${Math.round(ms).toString().padStart(6)} ms  ${key}`),
    "",
  ];
  return [
    ...table("Hottest functions (self time)", byFunction),
    ...table("Charged to the innermost yparty frame (own time + library calls under it)", byOurFrame),
    ...table("Hottest lines of yparty code (self time)", byOurLine),
  ].join("\n");
}

// Run as a script (not when imported by run.ts).
const files = import.meta.url === `file://${process.argv[1]}` ? process.argv.slice(2) : [];
if (files.length > 0) {
  const profiles = await Promise.all(files.map(async (file) => JSON.parse(await readFile(file, "utf8")) as CpuProfile));
  process.stdout.write(summarizeProfiles(profiles));
}
