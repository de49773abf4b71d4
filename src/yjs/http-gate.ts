/**
 * Whether a Yjs party's built-in HTTP API may answer. The API reads and writes the same document as the sockets, so
 * a party that guards its sockets (`static onBeforeConnect`) and says nothing of HTTP (no `static onBeforeRequest`)
 * must not serve it unguarded: PartyKit and y-partyserver serve no document over HTTP, so a port that checks its
 * tokens in `onBeforeConnect` alone would be open to anyone with curl. Such a party answers 403 until it adds an
 * `onBeforeRequest` (which then guards the API) or overrides `onRequest`.
 */
import { errorResponse } from "../runtime/errors.js";
import type { Logger } from "../runtime/log.js";

interface AccessHooks {
  readonly name: string;
  readonly onBeforeConnect?: unknown;
  readonly onBeforeRequest?: unknown;
}

const REFUSAL = "This party guards its WebSockets with onBeforeConnect and has no onBeforeRequest, so its documents are not served over HTTP";
const fix = (party: string) =>
  `${party} guards its WebSockets with onBeforeConnect but has no onBeforeRequest, so its HTTP document API answers 403: ` +
  "add a static onBeforeRequest that checks the same credentials (it then guards the API), or override onRequest";

/** Classes already logged: one warning per class, not one per request. */
const warned = new WeakSet<object>();

/** The refusal of a request to the HTTP API of `party` (a YServer class), or undefined when the API may answer. */
export function unguardedApiRefusal(party: AccessHooks, logger: Logger): Response | undefined {
  if (typeof party.onBeforeConnect !== "function" || typeof party.onBeforeRequest === "function") return undefined;
  if (!warned.has(party)) {
    warned.add(party);
    logger.warn("yjs.http_api_unguarded", { code: "ERR_HTTP_API_UNGUARDED", message: fix(party.name || "A YServer class") });
  }
  return errorResponse("ERR_HTTP_API_UNGUARDED", REFUSAL, 403);
}
