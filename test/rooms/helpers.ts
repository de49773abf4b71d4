/**
 * Rooms-protocol test helpers: a real server with rooms mounted (`startRooms`), and a raw client speaking the
 * envelope over a real `ws` socket in either codec (`rawClient`), which keeps every decoded envelope so a test can
 * wait for the next one of a type and apply patches to a mirror.
 */
import { decode as decodeMsgpack, encode as encodeMsgpack } from "@msgpack/msgpack";
import { createRooms, type RoomsOptions, type RoomType } from "../../src/rooms/index.js";
import { applyPatch, stateChecksum, type Codec, type Envelope, type JsonPatchOp } from "../../src/rooms/wire/index.js";
import { connect, startServer, waitFor, type StartOptions, type TestClient, type TestServer } from "../helpers/server.js";

export async function startRooms(
  types: Record<string, RoomType<any>>,
  options: Omit<RoomsOptions, "types"> & { server?: StartOptions } = {},
): Promise<TestServer> {
  const { server: serverOptions = {}, ...roomsOptions } = options;
  const rooms = createRooms({ types, ...roomsOptions });
  return startServer(rooms.parties, { storage: "memory", ...serverOptions, sockets: rooms.sockets });
}

export type P = Record<string, any>;

export interface RawClient {
  client: TestClient;
  codec: Codec;
  /** Every envelope received, decoded. */
  received: Array<Envelope<P>>;
  send(t: string, p?: P, rid?: string | number): void;
  sendRaw(frame: string | Uint8Array): void;
  /** The next envelope (after those already taken by next/expect) that matches. */
  expect(t: string, where?: (p: P, envelope: Envelope<P>) => boolean, ms?: number): Promise<Envelope<P>>;
  /** Sends a request with a fresh rid and waits for its rpc.response payload (`ms`: how long, 5 s unless told). */
  request(t: string, p?: P, ms?: number): Promise<P>;
  handshake(p?: P): Promise<P>;
}

let rids = 0;

export function rawClient(server: TestServer, codec: Codec = "json", path = "/rooms"): RawClient {
  const client = connect(server.wsUrl(path));
  const received: Array<Envelope<P>> = [];
  let decoded = 0;
  let handshaken = false;
  const decodeUpTo = (): void => {
    for (; decoded < client.messages.length; decoded++) {
      const frame = client.messages[decoded]!;
      received.push((typeof frame === "string" ? JSON.parse(frame) : decodeMsgpack(frame)) as Envelope<P>);
    }
  };
  const taken = new Set<number>();
  const raw: RawClient = {
    client,
    codec,
    received,
    send(t, p = {}, rid) {
      const envelope = rid === undefined ? { t, p } : { t, p, rid };
      client.send(codec === "json" || !handshaken ? JSON.stringify(envelope) : encodeMsgpack(envelope));
    },
    sendRaw: (frame) => client.send(frame),
    async expect(t, where = () => true, ms) {
      let index = 0;
      for (;;) {
        decodeUpTo();
        for (; index < received.length; index++) {
          const envelope = received[index]!;
          if (!taken.has(index) && envelope.t === t && where(envelope.p, envelope)) {
            taken.add(index);
            return envelope;
          }
        }
        await client.nth(received.length, ms).catch((error: Error) => {
          throw new Error(`waiting for "${t}": ${error.message}; got ${JSON.stringify(received.slice(-5))}`);
        });
      }
    },
    async request(t, p = {}, ms) {
      const rid = `r${++rids}`;
      raw.send(t, p, rid);
      return (await raw.expect("rpc.response", (_p, envelope) => envelope.rid === rid, ms)).p;
    },
    async handshake(p = {}) {
      await client.opened;
      raw.send("handshake", { v: 1, codecs: [codec], project_id: "test", token: "dev:alice", ...p });
      handshaken = true;
      return (await raw.expect("handshake.ok")).p;
    },
  };
  return raw;
}

/** A state mirror as a client keeps it: applies snapshots and patches, checks every seq and checksum. */
export class Mirror {
  state: unknown;
  seq = -1;
  checked = 0;

  apply(envelope: Envelope<P>): void {
    const p = envelope.p;
    if (envelope.t === "state.snapshot") {
      this.state = structuredClone(p.state);
    } else {
      if (p.seq !== this.seq + 1) throw new Error(`gap: patch ${p.seq} after ${this.seq}`);
      this.state = applyPatch(this.state, p.ops as JsonPatchOp[]);
    }
    this.seq = p.seq;
    if (stateChecksum(this.state) !== p.checksum) throw new Error(`checksum mismatch at seq ${p.seq}`);
    this.checked++;
  }
}

/** A client of `counter` room `room`, its mirror from the snapshot, and its session id. */
export async function joinCounter(server: TestServer, room: string, token: string): Promise<{ client: RawClient; mirror: Mirror; sessionId: string }> {
  const client = rawClient(server);
  const ok = await client.handshake({ token });
  await client.request("room.join_or_create", { room_type: "counter", room });
  const mirror = new Mirror();
  mirror.apply(await client.expect("state.snapshot"));
  return { client, mirror, sessionId: ok.session_id };
}

/** Sends `times` × `inc {by: 1}` and applies patches until the mirror's count shows them all. */
export async function incAndFollow(client: RawClient, mirror: Mirror, room: string, times: number): Promise<void> {
  const count = () => (mirror.state as { count: number }).count;
  const target = count() + times;
  for (let i = 0; i < times; i++) client.send("room.message", { room, type: "inc", data: { by: 1 } });
  while (count() < target) mirror.apply(await client.expect("state.patch"));
}

export { waitFor };
