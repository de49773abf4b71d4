/**
 * The rooms bench's server: `--mode rooms` serves room type `bench` over the rooms protocol (snapshot, JSON Patch
 * per tick, seq, CRC-32 checksum); `--mode plain` a plain party keeping the same state and broadcasting all of it
 * as JSON by hand after every input. State: `{count, last: {player: input id}}`. In memory, or on LevelDB in
 * `--dir`; quiet logs.
 */
import { createLogger, createServer, type Connection, type PartyModule, type Room } from "../../src/runtime/index.js";
import { createRooms, defineRoomType } from "../../src/rooms/index.js";
import { announceReady, closeOnSignals } from "./lifecycle.js";

interface BenchState {
  count: number;
  last: Record<string, number>;
}

const bench = defineRoomType<BenchState>({
  maxClients: 1000,
  onCreate() {
    this.state = { count: 0, last: {} };
  },
  onInput({ data, sender }) {
    const { by, id } = data as { by: number; id: number };
    this.state.count += by;
    this.state.last[sender] = id;
  },
});

class PlainParty {
  readonly state: BenchState = { count: 0, last: {} };
  constructor(readonly room: Room) {}
  onMessage(message: string | ArrayBuffer | ArrayBufferView, sender: Connection): void {
    const { by, id } = JSON.parse(String(message)) as { by: number; id: number };
    this.state.count += by;
    this.state.last[sender.id] = id;
    this.room.broadcast(JSON.stringify(this.state));
  }
}

const mode = process.argv[process.argv.indexOf("--mode") + 1];
const dirFlag = process.argv.indexOf("--dir");
const dir = dirFlag >= 0 ? process.argv[dirFlag + 1] : undefined;
const rooms = createRooms({ types: { bench } });
const server = createServer({
  parties: mode === "rooms" ? rooms.parties : { plain: PlainParty as unknown as PartyModule },
  sockets: mode === "rooms" ? rooms.sockets : {},
  port: 0,
  persist: dir ? { dir } : false,
  logger: createLogger({ level: "error" }),
  limits: { maxConnectionsPerRoom: 100_000 },
});
const { port } = await server.listen();
announceReady(port);
closeOnSignals(() => server.close());
