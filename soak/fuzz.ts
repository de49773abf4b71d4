/**
 * `npm run soak`: the structure-aware fuzzer of test/yjs/fuzz-oracle.test.ts, long. By default 1,000,000 inputs
 * against the room core (DocumentSession, what the server runs for every frame), in rounds of 10,000 on a fresh
 * room, each checked against its reference document (the room, a second client, a copy of its encoding); then
 * 20,000 inputs over real sockets and HTTP to a real server on LevelDB, checked live, at a client and after a
 * restart on the same folder. Prints progress and a summary (JSON on the last line); exits 1 on any divergence,
 * undocumented refusal or crash.
 *
 *   npm run soak -- [--inputs 1000000] [--socket 20000] [--seed 1]
 */
import { parseArgs } from "node:util";
import * as Y from "yjs";
import { silentLogger } from "../src/runtime/log.js";
import { DocumentParty } from "../src/yjs/index.js";
import { docToJson } from "../src/yjs/json-export.js";
import { DocumentSession } from "../src/yjs/session.js";
import { resolveYjsLimits } from "../src/yjs/defaults.js";
import { cleanupAll, startServer } from "../test/helpers/server.js";
import { buildCorpus } from "../test/yjs/support/fuzz-corpus.js";
import { Oracle, RoomCoreTarget } from "../test/yjs/support/fuzz-engine.js";
import { FuzzInputs } from "../test/yjs/support/fuzz-inputs.js";
import { SocketTarget, postInput } from "../test/yjs/support/fuzz-socket.js";
import { seededRandom } from "../test/yjs/support/trace.js";

/** The soak runs the room with the defaults a server has (every order check on: docs/reliability.md). */
const LIMITS = resolveYjsLimits();

const { values } = parseArgs({
  options: { inputs: { type: "string", default: "1000000" }, socket: { type: "string", default: "20000" }, seed: { type: "string", default: "1" } },
});
const TOTAL = Number(values.inputs);
const SOCKET = Number(values.socket);
const SEED = Number(values.seed);
const ROUND = 10_000;

const corpus = buildCorpus();
const problems: string[] = [];
/** Notes a problem, and prints it at once (the run goes on). */
function report(problem: string): void {
  problems.push(problem);
  console.log(`PROBLEM ${problem}`);
}
const totals = { tried: 0, accepted: 0, refused: {} as Record<string, number>, undocumented: 0, referenceFailures: 0, pendingDropped: 0 };
const started = performance.now();

function tally(oracle: Oracle, where: string): void {
  totals.tried += oracle.tried;
  totals.accepted += oracle.accepted;
  totals.undocumented += oracle.undocumented.length;
  totals.referenceFailures += oracle.referenceFailures.length;
  totals.pendingDropped += oracle.pendingDropped;
  for (const [key, count] of oracle.refusedBy) totals.refused[key] = (totals.refused[key] ?? 0) + count;
  for (const reason of [...oracle.undocumented, ...oracle.referenceFailures]) report(`${where}: ${reason}`);
}

function check(oracle: Oracle, what: string, doc: Y.Doc): void {
  const problem = oracle.differs(what, Y.encodeStateVector(doc), docToJson(doc));
  if (problem) report(problem);
}

async function roomCoreRound(round: number, inputs: number): Promise<void> {
  const gc = round % 2 === 0;
  const session = new DocumentSession({ room: `soak-${round}`, gc, logger: silentLogger(), limits: LIMITS });
  await session.load();
  await session.applyUpdate(corpus.base);
  const target = new RoomCoreTarget(session);
  const oracle = new Oracle(corpus.base, gc);
  const source = new FuzzInputs(corpus, seededRandom(SEED * 1_000_003 + round));
  for (let i = 1; i <= inputs; i++) {
    target.send(source.next(), oracle);
    if (i % 10_000 === 0) check(oracle, `round ${round}, room after ${i}`, session.doc);
  }
  check(oracle, `round ${round}, room`, session.doc);
  check(oracle, `round ${round}, second client`, target.mirror.doc);
  const copy = new Y.Doc({ gc });
  Y.applyUpdate(copy, Y.encodeStateAsUpdate(session.doc));
  check(oracle, `round ${round}, copy of its encoding`, copy);
  tally(oracle, `round ${round}`);
  source.destroy();
  await session.stop();
}

async function socketRun(inputs: number): Promise<void> {
  const room = "/parties/main/soak";
  const server = await startServer({ main: DocumentParty });
  const oracle = new Oracle(corpus.base);
  await postInput(server, room, corpus.base, "base", oracle);
  const source = new FuzzInputs(corpus, seededRandom(SEED));
  let current = server;
  let target = new SocketTarget(current, room);
  for (let i = 1; i <= inputs; i++) {
    if (i % 10 === 0) {
      const { body, kind } = source.body();
      await postInput(current, room, body, kind, oracle);
    } else await target.send(source.next(), oracle);
    if (i % 5_000 === 0) {
      await target.close();
      current = await current.restart();
      target = new SocketTarget(current, room);
      const stateVector = new Uint8Array(await (await fetch(`${current.url}${room}?format=state-vector`)).arrayBuffer());
      const problem = oracle.differs(`server after restart at ${i}`, stateVector, await (await fetch(current.url + room)).json());
      if (problem) report(problem);
      console.log(`sockets: ${i}/${inputs} inputs, restarted, ${problems.length} problems, ${seconds()} s`);
    }
  }
  await target.close();
  const errors = current.logs.filter((entry) => entry.level === "error");
  for (const entry of errors.slice(0, 5)) report(`server logged an error: ${JSON.stringify(entry)}`);
  tally(oracle, "sockets");
  source.destroy();
  await cleanupAll();
}

const seconds = () => ((performance.now() - started) / 1000).toFixed(0);

process.on("uncaughtException", (error) => {
  console.error("CRASH", error);
  process.exit(1);
});

for (let round = 0, done = 0; done < TOTAL; round++) {
  const inputs = Math.min(ROUND, TOTAL - done);
  await roomCoreRound(round, inputs);
  done += inputs;
  console.log(`room core: ${done}/${TOTAL} inputs, ${totals.accepted} taken, ${problems.length} problems, ${seconds()} s`);
}
if (SOCKET > 0) await socketRun(SOCKET);

console.log(problems.length === 0 ? "no divergence, no undocumented refusal, no crash" : `${problems.length} problems:\n${problems.slice(0, 20).join("\n")}`);
console.log(JSON.stringify({ seed: SEED, seconds: Number(seconds()), ...totals, problems: problems.length }));
process.exit(problems.length === 0 ? 0 : 1);
