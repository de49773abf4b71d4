/** The servers under test: how to start each, how its clients frame messages, what it can do. */
import type { FramingId } from "../client/framing.js";

export type ServerId = "relay" | "y-websocket" | "hocuspocus" | "yparty-memory" | "yparty-leveldb";

export interface ServerSpec {
  id: ServerId;
  label: string;
  /** Child entry under bench/servers/. */
  script: string;
  framing: FramingId;
  /** Keeps a document (false: the relay only forwards). */
  hasDocument: boolean;
  /** Stores documents on disk: takes `--dir <folder>`. */
  persistent: boolean;
  /** A peer: the "best peer" a yparty figure is compared with. */
  peer: boolean;
}

export const SERVERS: readonly ServerSpec[] = [
  { id: "relay", label: "raw ws relay", script: "relay.ts", framing: "relay", hasDocument: false, persistent: false, peer: false },
  { id: "y-websocket", label: "y-websocket", script: "y-websocket.ts", framing: "path", hasDocument: true, persistent: false, peer: true },
  { id: "hocuspocus", label: "Hocuspocus", script: "hocuspocus.ts", framing: "hocuspocus", hasDocument: true, persistent: false, peer: true },
  { id: "yparty-memory", label: "yparty (memory)", script: "yparty.ts", framing: "yparty", hasDocument: true, persistent: false, peer: false },
  { id: "yparty-leveldb", label: "yparty (LevelDB)", script: "yparty.ts", framing: "yparty", hasDocument: true, persistent: true, peer: false },
];

export const serverById = (id: ServerId): ServerSpec => {
  const spec = SERVERS.find((candidate) => candidate.id === id);
  if (!spec) throw new Error(`unknown server ${id}`);
  return spec;
};
