/**
 * The config's protocol mounts — `rooms` (seed 004) and `game` (seed 002): each names a module, bundled with the
 * parties (as entry `yparty:rooms` / `yparty:game`), whose default export (`defineRooms(…)` / `defineGame(…)`)
 * becomes a mount: its parties join the project's, its socket handler is served at the configured path, and its
 * routes (the game's REST API) are consulted for other paths. Each rebuild makes a new mount; the socket handler
 * and routes always use the latest, so `yparty dev` reloads them like any party. The runtime carries a room's
 * connections and storage across the reload; what matchmaking keeps (the players being matched, the seats matches hold,
 * the notices kept for players whose socket dropped) is carried here: each protocol's `load` keeps one
 * `MatchmakingState` for all its mounts, with the rooms' listings, and one owner of its sessions (`RoomsSessions` /
 * `GameSessions`: a client back after a rebuild resumes its session), whose code is the mount served: each mount is
 * served (`serve()`) as it replaces the last, so every session, an open one too, uses its room types from then on.
 */
import path from "node:path";
import type { PartyModule, RouteHandler, SocketHandler } from "../../runtime/index.js";
import type { RoomsOptions } from "../../rooms/index.js";
import type { GameOptions } from "../../game/index.js";
import type { MountConfig, ProjectConfig } from "../config/resolve.js";
import { CliError } from "../errors.js";

interface Mount {
  parties: Record<string, PartyModule>;
  sockets: Record<string, SocketHandler>;
  routes?: RouteHandler[];
  /** Makes its code the one the protocol's sessions use (they outlive the mounts). */
  serve(): void;
}

interface Protocol {
  /** The config field. */
  field: "rooms" | "game";
  /** The bundle entry of its module. */
  entry: string;
  /** What the default export must be, for the error. */
  expected: string;
  /** Whether the default export looks right. */
  check(defaultExport: Record<string, unknown>): boolean;
  /**
   * Loads the protocol's module (only for a project that mounts it, so a server without it starts without it); what
   * it returns makes each rebuild's mount, and owns what outlives them (a `MatchmakingState`): the players being
   * matched, so a match being made as the code reloads is not made again by the next mount's matchmaker, and the seats
   * matches hold and the notices kept for players, so a player back after a rebuild is told of its match.
   */
  load(): Promise<(defaultExport: unknown, config: MountConfig) => Mount>;
}

export const PROTOCOLS: readonly Protocol[] = [
  {
    field: "rooms",
    entry: "yparty:rooms",
    expected: "defineRooms({ types: { name: defineRoomType(…) } })",
    check: (options) => typeof options.types === "object" && options.types !== null,
    load: async () => {
      const { createRooms, MatchmakingState, RoomsSessions } = await import("../../rooms/index.js");
      const [matchmaking, sessions] = [new MatchmakingState(), new RoomsSessions()];
      return (options, config) => createRooms({ ...(options as RoomsOptions), path: config.path, matchmaking, sessions });
    },
  },
  {
    field: "game",
    entry: "yparty:game",
    expected: "defineGame({ matches: { name: defineMatch(…) }, modes? })",
    check: (options) => typeof options.matches === "object" && options.matches !== null,
    load: async () => {
      const { createGame, GameSessions, MatchmakingState } = await import("../../game/index.js");
      const [matchmaking, sessions] = [new MatchmakingState(), new GameSessions()];
      return (options, config) =>
        createGame({ ...(options as GameOptions), path: config.path, ...(config.apiPath ? { apiPath: config.apiPath } : {}), matchmaking, sessions });
    },
  },
];

export interface MountSources {
  /** Bundle entry → module, for every protocol the config mounts. */
  readonly entries: Record<string, string>;
  /** For `createServer({ sockets })`: stable handlers that use the latest mounts. */
  readonly sockets: Record<string, SocketHandler>;
  /** For `createServer({ routes })`: a stable route that asks the latest mounts' routes. */
  readonly routes: RouteHandler[];
  /** Makes the mounts from their modules' default exports (by bundle entry); returns their parties. Throws `ERR_BAD_ENTRY`. */
  mount(found: Record<string, unknown>): Record<string, PartyModule>;
}

export async function createMountSources(project: ProjectConfig): Promise<MountSources> {
  const configured = await Promise.all(
    PROTOCOLS.filter((protocol) => project[protocol.field]).map(async (protocol) => ({
      protocol,
      config: project[protocol.field]!,
      create: await protocol.load(),
    })),
  );
  const current = new Map<string, Mount>();
  const sockets: Record<string, SocketHandler> = {};
  for (const { protocol, config } of configured)
    sockets[config.path] = (ws, request, host) => current.get(protocol.field)!.sockets[config.path]!(ws, request, host);
  const route: RouteHandler = async (request, server, lobby) => {
    for (const mount of current.values()) {
      for (const handler of mount.routes ?? []) {
        const response = await handler(request, server, lobby);
        if (response) return response;
      }
    }
    return undefined;
  };
  return {
    entries: Object.fromEntries(configured.map(({ protocol, config }) => [protocol.entry, config.entry])),
    sockets,
    routes: configured.some(({ protocol }) => protocol.field === "game") ? [route] : [],
    mount(found) {
      // Every module's mount is made before any replaces the one served: a refused one (the game's, after the rooms'
      // was made) leaves the server on the last good build, and its sockets on that build's mounts.
      const made = new Map<string, Mount>();
      for (const { protocol, config, create } of configured) {
        const options = found[protocol.entry];
        const entry = path.relative(project.root, config.entry);
        if (typeof options !== "object" || options === null || !protocol.check(options as Record<string, unknown>)) {
          throw new CliError("ERR_BAD_ENTRY", `${entry} (${protocol.field}): the default export must be ${protocol.expected}`);
        }
        try {
          made.set(protocol.field, create(options, config));
        } catch (error) {
          throw new CliError("ERR_BAD_ENTRY", `${entry} (${protocol.field}): ${(error as Error).message}`, { cause: error });
        }
      }
      const parties: Record<string, PartyModule> = {};
      for (const [field, mount] of made) {
        current.set(field, mount);
        mount.serve(); // its sessions, open ones too, use its room types from now on
        Object.assign(parties, mount.parties);
      }
      return parties;
    },
  };
}
