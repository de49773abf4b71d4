/**
 * Preloaded into a yparty process (`NODE_OPTIONS=--require=<repo>/bench/turn-probe.cjs TURN_PROBE_DIR=<dir>`; a
 * cluster test's nodes inherit the environment): records every turn of the event loop longer than 30 ms (a chain of
 * unref'd immediates: one link a turn) and a CPU profile (the in-process inspector, a sample every 0.5 ms; `--cpu-prof`
 * is refused in NODE_OPTIONS). At a clean exit (SIGTERM: a killed process writes nothing) it writes
 * `turns-<pid>.json` ({ fromUs, toUs, ms }: µs on the profile's clock) and `cpu-<pid>.cpuprofile` to the folder; what
 * ran in one long turn: `node --import tsx bench/profile-window.ts cpu-<pid>.cpuprofile <fromUs> <toUs> out`.
 * Used to find the long turns of a node taking over 30 rooms (docs/cluster.md, "Taking over many rooms at once").
 */
const { Session } = require("node:inspector");
const { writeFileSync } = require("node:fs");
const { join } = require("node:path");

const dir = process.env.TURN_PROBE_DIR;
if (dir) {
  const long = [];
  let last = process.hrtime.bigint();
  const link = () => {
    const now = process.hrtime.bigint();
    const ms = Number(now - last) / 1e6;
    if (ms > 30) long.push({ fromUs: Number(last / 1000n), toUs: Number(now / 1000n), ms: Math.round(ms) });
    last = now;
    setImmediate(link).unref();
  };
  setImmediate(link).unref();
  const session = new Session();
  session.connect();
  session.post("Profiler.enable");
  session.post("Profiler.setSamplingInterval", { interval: 500 });
  session.post("Profiler.start");
  process.on("exit", () => {
    writeFileSync(join(dir, `turns-${process.pid}.json`), JSON.stringify(long));
    // The in-thread session answers synchronously: written before the process ends.
    session.post("Profiler.stop", (error, result) => {
      if (!error) writeFileSync(join(dir, `cpu-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
