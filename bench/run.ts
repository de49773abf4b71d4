/**
 * `npm run bench [-- --quick] [--servers=a,b] [--scenarios=x,y] [--runs=n] [--cpu-prof]`: every scenario against every
 * server, each server in its own child process started fresh for each (run, scenario), medians of the runs,
 * written to bench/results/ as JSON, Markdown, SVG and PNG.
 */
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { BenchError } from "./errors.js";
import { FULL, QUICK, RESULTS_DIR, type BenchProfile } from "./limits.js";
import { summarizeProfiles } from "./profile-summary.js";
import { renderSvg, writeChart } from "./report/chart.js";
import { renderMarkdown, type RunInfo } from "./report/markdown.js";
import { summarize, type RunRecord } from "./report/summary.js";
import { bigDoc } from "./scenarios/big-doc.js";
import { coldLoad } from "./scenarios/cold-load.js";
import { fanout, fanoutDocs } from "./scenarios/fanout.js";
import { idle } from "./scenarios/idle.js";
import { startup } from "./scenarios/startup.js";
import { throughput } from "./scenarios/throughput.js";
import type { Scenario } from "./scenarios/types.js";
import { stopAllServers } from "./server-process.js";
import { SERVERS, type ServerSpec } from "./servers/catalog.js";
import { setProfileFlags, startTarget } from "./target.js";

const SCENARIOS: readonly Scenario[] = [fanout, fanoutDocs, throughput, idle, bigDoc, coldLoad, startup];

interface Options {
  quick: boolean;
  /** Only some servers or scenarios: the report goes to `partial.*`, never over a full `latest.*`. */
  partial: boolean;
  servers: readonly ServerSpec[];
  scenarios: readonly Scenario[];
  cpuProf: boolean;
  /** `--runs=N`: fewer (or more) runs than the profile's, e.g. one full-length run while profiling. */
  runs?: number;
}

function parseArgs(argv: readonly string[]): Options {
  const listArg = (name: string): string[] | undefined =>
    argv
      .find((arg) => arg.startsWith(`--${name}=`))
      ?.slice(name.length + 3)
      .split(",");
  const known = ["--quick", "--cpu-prof"];
  const unknown = argv.filter((arg) => !known.includes(arg) && !/^--(servers|scenarios|runs)=/.test(arg));
  if (unknown.length > 0) throw new BenchError("ERR_USAGE", `unknown argument(s): ${unknown.join(" ")}`);
  const serverIds = listArg("servers");
  const scenarioIds = listArg("scenarios");
  const runs = listArg("runs")?.[0];
  if (runs !== undefined && !(Number(runs) >= 1)) throw new BenchError("ERR_USAGE", `--runs must be a whole number ≥ 1, got ${runs}`);
  return {
    ...(runs !== undefined ? { runs: Math.floor(Number(runs)) } : {}),
    quick: argv.includes("--quick"),
    partial: serverIds !== undefined || scenarioIds !== undefined || runs !== undefined,
    cpuProf: argv.includes("--cpu-prof"),
    servers: serverIds ? SERVERS.filter((spec) => serverIds.includes(spec.id)) : SERVERS,
    scenarios: scenarioIds ? SCENARIOS.filter((scenario) => scenarioIds.includes(scenario.id)) : SCENARIOS,
  };
}

async function runOne(scenario: Scenario, spec: ServerSpec, run: number, profile: BenchProfile): Promise<RunRecord> {
  const started = performance.now();
  let target;
  try {
    target = await startTarget(spec);
    const metrics = await scenario.run(target, profile);
    log(`run ${run} ${scenario.id.padEnd(10)} ${spec.id.padEnd(15)} ${Math.round(performance.now() - started)} ms  ${format(metrics)}`);
    return { run, server: spec.id, scenario: scenario.id, metrics };
  } catch (error) {
    const code = (error as { code?: string }).code ?? "ERR_UNEXPECTED";
    const message = (error as Error).message ?? String(error);
    log(`run ${run} ${scenario.id.padEnd(10)} ${spec.id.padEnd(15)} FAILED ${code}: ${message.split("\n")[0]}`);
    return { run, server: spec.id, scenario: scenario.id, error: { code, message } };
  } finally {
    await target?.stop();
  }
}

const format = (metrics: Record<string, number>): string =>
  Object.entries(metrics)
    .map(([key, value]) => `${key}=${Number.isInteger(value) ? value : value.toFixed(2)}`)
    .join(" ");

const log = (line: string): void => void process.stderr.write(`${line}\n`);

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const base = options.quick ? QUICK : FULL;
  const profile = { ...base, runs: options.runs ?? base.runs };
  const resultsDir = fileURLToPath(RESULTS_DIR);
  const profileDir = join(tmpdir(), `yparty-bench-profiles-${Date.now()}`);
  // yparty is profiled, and the relays to compare with (the peers are not ours to fix); a sample every 200 µs.
  if (options.cpuProf) {
    setProfileFlags((spec) =>
      spec.id.startsWith("yparty") || spec.id.startsWith("relay")
        ? ["--cpu-prof", "--cpu-prof-interval=200", `--cpu-prof-dir=${join(profileDir, spec.id)}`]
        : [],
    );
  }
  const startedAt = new Date();
  const load = loadavg()[0] ?? 0;
  const wallStart = performance.now();
  const records: RunRecord[] = [];
  for (let run = 1; run <= profile.runs; run++) {
    for (const scenario of options.scenarios) {
      for (const spec of options.servers) {
        if (scenario.appliesTo({ spec })) records.push(await runOne(scenario, spec, run, profile));
      }
    }
  }
  const summary = summarize(records);
  const name = options.quick ? "quick" : options.partial ? "partial" : "latest";
  const info: RunInfo = {
    date: startedAt.toISOString(),
    profile: options.quick ? "quick" : "full",
    runs: profile.runs,
    node: process.version,
    cpus: cpus().length,
    loadAverage: load,
    durationS: (performance.now() - wallStart) / 1000,
    chartFile: `${name}.png`,
  };
  await mkdir(resultsDir, { recursive: true });
  await writeFile(`${resultsDir}${name}.json`, `${JSON.stringify({ info, profile, summary, records }, null, 2)}\n`);
  await writeFile(`${resultsDir}${name}.md`, renderMarkdown(summary, info));
  const svg = renderSvg(summary, `${info.date} · ${info.profile} · median of ${info.runs} run(s) · load avg ${load.toFixed(2)}`);
  await writeChart(svg, `${resultsDir}${name}.svg`, `${resultsDir}${name}.png`).catch((error: Error) => log(`chart: ${error.message}`));
  log(`\nwrote ${resultsDir}${name}.{json,md,svg,png} in ${Math.round(info.durationS)} s`);
  process.stdout.write(renderMarkdown(summary, info));
  if (options.cpuProf) await printProfiles(profileDir);
}

async function printProfiles(dir: string): Promise<void> {
  for (const server of await readdir(dir).catch(() => [])) {
    const files = (await readdir(join(dir, server))).filter((file) => file.endsWith(".cpuprofile"));
    const profiles = await Promise.all(files.map(async (file) => JSON.parse(await readFile(join(dir, server, file), "utf8"))));
    process.stdout.write(`\n## CPU profile: ${server} (${files.length} processes, ${join(dir, server)})\n\n${summarizeProfiles(profiles)}`);
  }
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void stopAllServers().finally(() => process.exit(130));
  });
}

main()
  .catch((error: unknown) => {
    log(`bench failed: ${(error as Error).stack ?? String(error)}`);
    process.exitCode = 1;
  })
  .finally(() => stopAllServers());
