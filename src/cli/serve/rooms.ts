/**
 * The config's `rooms` entry: bundled with the parties (as entry `ROOMS_ENTRY`), its default export
 * (`defineRooms({ types, verifyToken? })`) becomes a rooms mount: its parties join the project's, and its socket
 * handler is served at `rooms.path`. Each rebuild makes a new mount; the socket handler always uses the latest, so
 * `yparty dev` reloads room types like any party.
 */
import path from "node:path";
import type { PartyModule, SocketHandler } from "../../runtime/index.js";
import type { RoomsMount, RoomsOptions } from "../../rooms/index.js";
import type { ProjectConfig } from "../config/resolve.js";
import { CliError } from "../errors.js";

export const ROOMS_ENTRY = "yparty:rooms";

export interface RoomsSource {
  /** For `createServer({ sockets })`: stable handlers that use the latest mount. */
  readonly sockets: Record<string, SocketHandler>;
  /** Makes a mount from the rooms module's default export; returns its parties. Throws `ERR_BAD_ENTRY`. */
  mount(defaultExport: unknown): Record<string, PartyModule>;
}

export async function createRoomsSource(project: ProjectConfig): Promise<RoomsSource> {
  const rooms = project.rooms;
  if (!rooms) return { sockets: {}, mount: () => ({}) };
  // Loaded only for a project with rooms: a server without them starts without the rooms protocol.
  const { createRooms } = await import("../../rooms/index.js");
  let current: RoomsMount | undefined;
  const handler: SocketHandler = (ws, request, host) => current!.sockets[rooms.path]!(ws, request, host);
  return {
    sockets: { [rooms.path]: handler },
    mount(defaultExport) {
      const options = defaultExport as RoomsOptions | undefined;
      const entry = path.relative(project.root, rooms.entry);
      if (typeof options !== "object" || options === null || typeof options.types !== "object" || options.types === null) {
        throw new CliError("ERR_BAD_ENTRY", `${entry} (rooms): the default export must be defineRooms({ types: { name: defineRoomType(…) } })`);
      }
      try {
        current = createRooms({ ...options, path: rooms.path });
      } catch (error) {
        throw new CliError("ERR_BAD_ENTRY", `${entry} (rooms): ${(error as Error).message}`, { cause: error });
      }
      return current.parties;
    },
  };
}
