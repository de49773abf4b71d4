/**
 * The game protocol's REST API (`/api`, `Authorization: Bearer <token>`): friends and notifications, what does
 * not fit the socket. Browser-safe: the global `fetch` (or one passed in).
 */
import type { Friend, StoredNotification } from "../src/game/messages.js";
import { GameRequestError } from "./errors.js";

export type TokenSource = string | (() => string | Promise<string>);

export const resolveToken = async (token: TokenSource): Promise<string> => (typeof token === "function" ? await token() : token);

/** `ws://host/ws` → `http://host/api` (and wss → https): the REST API sits next to the socket by default. */
export function apiUrlFor(socketUrl: string): string {
  const url = new URL(socketUrl);
  url.protocol = url.protocol === "wss:" ? "https:" : "http:";
  url.pathname = "/api";
  url.search = "";
  url.hash = "";
  return url.toString();
}

export class GameApi {
  readonly friends = {
    /** Adds a friend; the other player gets a `friend_request` notification. Adding back makes you friends. */
    add: (playerId: string) => this.#call("POST", "/friends", { player_id: playerId }) as Promise<Friend>,
    list: async (): Promise<Friend[]> => ((await this.#call("GET", "/friends")) as { friends: Friend[] }).friends,
  };
  readonly notifications = {
    /** Every notification kept for the player, unread ones included (they are kept until read). */
    list: async (): Promise<StoredNotification[]> => ((await this.#call("GET", "/notifications")) as { notifications: StoredNotification[] }).notifications,
    read: (id: string) => this.#call("POST", `/notifications/${encodeURIComponent(id)}/read`) as Promise<{ id: string; read: true }>,
  };

  constructor(
    readonly baseUrl: string,
    private readonly token: TokenSource,
    private readonly fetchImpl: typeof fetch = (...args) => fetch(...args),
  ) {}

  /** A non-2xx answer rejects with `GameRequestError` (kind `refused`, with the HTTP status and the server's message). */
  async #call(method: "GET" | "POST", path: string, body?: unknown): Promise<unknown> {
    const headers: Record<string, string> = { authorization: `Bearer ${await resolveToken(this.token)}` };
    if (body !== undefined) headers["content-type"] = "application/json";
    let response: Response;
    try {
      response = await this.fetchImpl(this.baseUrl.replace(/\/$/, "") + path, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      throw new GameRequestError("disconnected", `${method} /api${path}: ${(error as Error).message}`, `${method} /api${path}`);
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === "" ? undefined : JSON.parse(text);
    } catch {
      parsed = text;
    }
    if (!response.ok) {
      throw new GameRequestError(
        "refused",
        `${method} /api${path}: ${response.status} ${errorMessage(parsed) ?? response.statusText}`,
        `${method} /api${path}`,
        response.status,
      );
    }
    return parsed;
  }
}

/** The runtime's `{error: {message}}`, an `{error: "…"}` or a `{reason}`. */
function errorMessage(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null) return typeof body === "string" && body !== "" ? body : undefined;
  const { error, reason } = body as { error?: unknown; reason?: unknown };
  const message = typeof error === "object" && error !== null ? (error as { message?: unknown }).message : (error ?? reason);
  return typeof message === "string" ? message : undefined;
}
