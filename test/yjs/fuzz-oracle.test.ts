/**
 * The structure-aware fuzzer with its reference-document oracle (support/fuzz-engine.ts), short enough for
 * `npm test`; `npm run soak` runs a million inputs. The document a room serves must always equal a reference that
 * applied exactly the inputs the room took: in the room, at a second client, and after a restart on the same
 * LevelDB folder. Every refusal carries a documented close code or HTTP status, and other rooms keep working.
 */
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { silentLogger } from "../../src/runtime/log.js";
import { DocumentParty } from "../../src/yjs/index.js";
import { docToJson } from "../../src/yjs/json-export.js";
import { DocumentSession } from "../../src/yjs/session.js";
import { resolveYjsLimits } from "../../src/yjs/defaults.js";
import { cleanupAll, startServer, type TestServer } from "../helpers/server.js";
import { buildCorpus } from "./support/fuzz-corpus.js";
import { Oracle, RoomCoreTarget } from "./support/fuzz-engine.js";
import { FuzzInputs } from "./support/fuzz-inputs.js";
import { SocketTarget, postInput } from "./support/fuzz-socket.js";
import { destroyProviders, makeProvider, until, whenSynced } from "./support/providers.js";
import { seededRandom } from "./support/trace.js";

const ROOM_CORE_INPUTS = 3_000;
const SOCKET_INPUTS = 300;
const HTTP_INPUTS = 100;

afterEach(async () => {
  destroyProviders();
  await cleanupAll();
});

const corpus = buildCorpus();

async function serverState(server: TestServer, room: string): Promise<{ stateVector: Uint8Array; json: unknown }> {
  const stateVector = new Uint8Array(await (await fetch(`${server.url}${room}?format=state-vector`)).arrayBuffer());
  return { stateVector, json: await (await fetch(server.url + room)).json() };
}

function expectClean(oracle: Oracle): void {
  expect(oracle.undocumented).toEqual([]);
  expect(oracle.referenceFailures).toEqual([]);
  expect(oracle.accepted).toBeGreaterThan(oracle.tried / 10); // the doc keeps changing…
  expect(oracle.tried - oracle.accepted).toBeGreaterThan(oracle.tried / 10); // …and refusals are real
}

describe("structure-aware fuzzing against a reference document", () => {
  it(`room core: ${ROOM_CORE_INPUTS} inputs; the room and a second client equal the reference of what it took`, async () => {
    const session = new DocumentSession({ room: "fuzz", gc: true, logger: silentLogger(), limits: resolveYjsLimits() }); // the defaults, as a server runs
    await session.load();
    await session.applyUpdate(corpus.base);
    const target = new RoomCoreTarget(session);
    const oracle = new Oracle(corpus.base);
    const inputs = new FuzzInputs(corpus, seededRandom(20261202));
    for (let i = 1; i <= ROOM_CORE_INPUTS; i++) {
      target.send(inputs.next(), oracle);
      if (i % 500 === 0) expect(oracle.differs(`room after ${i} inputs`, Y.encodeStateVector(session.doc), docToJson(session.doc))).toBeUndefined();
    }
    expect(oracle.differs("second client", Y.encodeStateVector(target.mirror.doc), docToJson(target.mirror.doc))).toBeUndefined();
    const copy = new Y.Doc(); // what a fresh client or a reload gets
    Y.applyUpdate(copy, Y.encodeStateAsUpdate(session.doc));
    expect(oracle.differs("a copy of its encoding", Y.encodeStateVector(copy), docToJson(copy))).toBeUndefined();
    expectClean(oracle);
    inputs.destroy();
    await session.stop();
  });

  it(`real server: ${SOCKET_INPUTS} inputs over sockets and ${HTTP_INPUTS} POST bodies; equal live, at a client and after a restart`, async () => {
    const room = "/parties/main/fuzzed";
    const server = await startServer({ main: DocumentParty });
    const oracle = new Oracle(corpus.base);
    await postInput(server, room, corpus.base, "base", oracle);
    const inputs = new FuzzInputs(corpus, seededRandom(7));
    const target = new SocketTarget(server, room);
    for (let i = 0; i < SOCKET_INPUTS; i++) await target.send(inputs.next(), oracle);
    await target.close();
    for (let i = 0; i < HTTP_INPUTS; i++) {
      const { body, kind } = inputs.body();
      await postInput(server, room, body, kind, oracle);
    }
    expectClean(oracle);
    const live = await serverState(server, room);
    expect(oracle.differs("server", live.stateVector, live.json)).toBeUndefined();
    const client = new Y.Doc();
    await whenSynced(makeProvider("y-websocket", server.url, "main", "fuzzed", client));
    expect(oracle.differs("client", Y.encodeStateVector(client), docToJson(client))).toBeUndefined();

    // Another room works, before and after the restart.
    const other = new Y.Doc();
    await whenSynced(makeProvider("y-partykit", server.url, "main", "elsewhere", other));
    other.getText("t").insert(0, "fine");
    const check = new Y.Doc();
    await whenSynced(makeProvider("y-websocket", server.url, "main", "elsewhere", check));
    await until(check, (d) => d.getText("t").toString() === "fine", "another room still syncs");
    destroyProviders();

    const restarted = await server.restart();
    const after = await serverState(restarted, room);
    expect(oracle.differs("server after restart", after.stateVector, after.json)).toBeUndefined();
    expect(server.logs.filter((entry) => entry.level === "error")).toEqual([]);
  });
});
