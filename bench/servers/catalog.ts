/** The servers under test: how to start each, how its clients frame messages, what it can do. */
import type { FramingId } from "../client/framing.js";

export type ServerId =
  | "relay"
  | "relay-sync"
  | "relay-apply"
  | "y-websocket"
  | "hocuspocus"
  | "yparty-memory"
  | "yparty-leveldb"
  | "yparty-postgres"
  | "yparty-leveldb-strict"
  | "yparty-cli-memory"
  | "yparty-cli-leveldb";

/**
 * How the child starts: a script under bench/servers/ run with `node --import tsx` (the peers, the relay and
 * yparty's `createServer` in process), or yparty's CLI as users run it: `node bin/yparty.js start` on the built
 * dist/ (`npm run build`), in an empty folder (no config: every room a Yjs document). `args` go to the script.
 */
export type Launch = { script: string; args?: readonly string[] } | { cli: true };

export interface ServerSpec {
  id: ServerId;
  label: string;
  launch: Launch;
  framing: FramingId;
  /** Keeps a document (false: the relay only forwards). */
  hasDocument: boolean;
  /** Stores documents on disk: a fresh temp folder per start (`--dir` for a script, `--persist` for the CLI). */
  persistent: boolean;
  /** Stores documents in PostgreSQL: a throwaway server per target (test/helpers/engines.ts), `--store <url>`. */
  postgres?: true;
  /** A peer: the "best peer" a yparty figure is compared with. */
  peer: boolean;
}

export const SERVERS: readonly ServerSpec[] = [
  { id: "relay", label: "raw ws relay", launch: { script: "relay.ts" }, framing: "relay", hasDocument: false, persistent: false, peer: false },
  // The relay doing the sync handshake with canned frames: a connect costs the harness what it costs against a
  // document server (the plain relay's clients skip the handshake), so connects/s compare like with like.
  {
    id: "relay-sync",
    label: "ws relay + canned handshake",
    launch: { script: "relay.ts", args: ["--answer-sync"] },
    framing: "path",
    hasDocument: false,
    persistent: false,
    peer: false,
  },
  // The relay applying each update to its room's Y.Doc before it forwards it: the least a server that validates
  // before it relays does (Yjs's decode and integrate, nothing else), to compare the fan-out's CPU with.
  {
    id: "relay-apply",
    label: "ws relay + Y.applyUpdate",
    launch: { script: "relay.ts", args: ["--apply"] },
    framing: "path",
    hasDocument: true,
    persistent: false,
    peer: false,
  },
  { id: "y-websocket", label: "y-websocket", launch: { script: "y-websocket.ts" }, framing: "path", hasDocument: true, persistent: false, peer: true },
  { id: "hocuspocus", label: "Hocuspocus", launch: { script: "hocuspocus.ts" }, framing: "hocuspocus", hasDocument: true, persistent: false, peer: true },
  { id: "yparty-memory", label: "yparty (memory)", launch: { script: "yparty.ts" }, framing: "yparty", hasDocument: true, persistent: false, peer: false },
  { id: "yparty-leveldb", label: "yparty (LevelDB)", launch: { script: "yparty.ts" }, framing: "yparty", hasDocument: true, persistent: true, peer: false },
  {
    id: "yparty-postgres",
    label: "yparty (PostgreSQL)",
    launch: { script: "yparty.ts" },
    framing: "yparty",
    hasDocument: true,
    persistent: false,
    postgres: true,
    peer: false,
  },
  // Strict durability (a change reaches the others once it is stored): its fan-out p99 against yparty-leveldb's.
  {
    id: "yparty-leveldb-strict",
    label: "yparty (LevelDB, strict)",
    launch: { script: "yparty.ts", args: ["--durability", "strict"] },
    framing: "yparty",
    hasDocument: true,
    persistent: true,
    peer: false,
  },
  { id: "yparty-cli-memory", label: "yparty start --no-persist", launch: { cli: true }, framing: "yparty", hasDocument: true, persistent: false, peer: false },
  { id: "yparty-cli-leveldb", label: "yparty start --persist", launch: { cli: true }, framing: "yparty", hasDocument: true, persistent: true, peer: false },
];

/** The yparty variants, in report order: each gets ratios to the best peer and to the relay. */
export const YPARTY_VARIANTS = ["yparty-memory", "yparty-leveldb", "yparty-cli-memory", "yparty-cli-leveldb"] as const satisfies readonly ServerId[];
export type YpartyVariant = (typeof YPARTY_VARIANTS)[number];

export const serverById = (id: ServerId): ServerSpec => {
  const spec = SERVERS.find((candidate) => candidate.id === id);
  if (!spec) throw new Error(`unknown server ${id}`);
  return spec;
};
