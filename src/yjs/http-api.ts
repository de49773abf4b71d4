/**
 * The headless HTTP API of a Yjs room (its default `onRequest`):
 *   GET  …/{room}                      the document as JSON (see json-export.ts)
 *   GET  …/{room}?format=update        the whole state as a binary Yjs update
 *   GET  …/{room}?format=state-vector  the state vector
 *   GET  …/{room}?since=<base64 sv>    the update a peer with that state vector lacks
 *   POST …/{room}                      an `application/octet-stream` Yjs update: applied, stored, sent to
 *                                      every socket; answered after the durable write (202 `pending` when
 *                                      Yjs holds it back until the changes it builds on arrive)
 *   GET  …/{room}/awareness            presence: [{ clientId, state }]
 * A GET never creates a document (unknown room → 404). Errors are `{ error: { code, message } }`.
 */
import * as Y from "yjs";
import { errorResponse, methodNotAllowed } from "../runtime/errors.js";
import { roomSubPath } from "../runtime/routing.js";
import { readBodyAtMost } from "../runtime/http-bridge.js";
import { YJS_LIMITS } from "./defaults.js";
import { YjsError } from "./errors.js";
import { docToJson } from "./json-export.js";
import type { DocStats } from "../../persistence/types.js";
import type { DocumentSession } from "./session.js";
import { validateUpdate, wouldChange } from "./validate.js";

export interface DocumentAccess {
  /** The document when it is loaded; never loads. */
  live(): DocumentSession | undefined;
  /** Whether the store holds this document. */
  stored(): Promise<boolean>;
  /** Loads the document, creating it when new. */
  open(): Promise<DocumentSession>;
  /** Whether HTTP writes to this room are refused. */
  readOnly(req: Request): boolean | Promise<boolean>;
  /** The request is done with `session` (the owner may unload it when no socket holds it). */
  done?(session: DocumentSession): void;
  /** Largest POST body (default `YJS_LIMITS.maxHttpUpdateBytes`). */
  maxBodyBytes?: number;
}

const BINARY = { "Content-Type": "application/octet-stream" };
/** Yjs encodes into plain ArrayBuffers; the DOM typings want that said. */
const binaryBody = (bytes: Uint8Array) => bytes as Uint8Array<ArrayBuffer>;

export async function handleDocumentRequest(req: Request, access: DocumentAccess): Promise<Response> {
  try {
    const url = new URL(req.url);
    const sub = roomSubPath(url.pathname);
    const reads = req.method === "GET" || req.method === "HEAD";
    if (sub === "awareness") return reads ? await getAwareness(access) : methodNotAllowed(["GET", "HEAD"]);
    if (sub !== "") return errorResponse("ERR_NOT_FOUND", `No such document resource: ${sub}`, 404);
    if (reads) return await getDocument(url, access);
    if (req.method === "POST") return await postUpdate(req, access);
    return methodNotAllowed(["GET", "HEAD", "POST"]);
  } catch (error) {
    if (error instanceof YjsError) return errorResponse(error.code, error.message, error.status);
    throw error;
  }
}

async function existing(access: DocumentAccess): Promise<DocumentSession | undefined> {
  return access.live() ?? ((await storedOrUnknown(access)) ? access.open() : undefined);
}

/** Whether a document with these stats exists: something stored, or known lost (it then answers 503, not 404). */
export const isStored = (stats: DocStats): boolean => stats.updates > 0 || stats.damaged === true;

/**
 * A store that cannot say whether it holds the document (a damaged LevelDB table) is taken to hold it: loading it
 * then fails the same way, is logged naming the room, and answers 503 `ERR_LOAD_FAILED` (not a 500).
 */
const storedOrUnknown = (access: DocumentAccess): Promise<boolean> => access.stored().catch(() => true);

async function getDocument(url: URL, access: DocumentAccess): Promise<Response> {
  const format = url.searchParams.get("format") ?? (url.searchParams.has("since") ? "update" : "json");
  if (!["json", "update", "state-vector"].includes(format)) {
    throw new YjsError("ERR_BAD_REQUEST", `format must be json, update or state-vector, not ${JSON.stringify(format)}`);
  }
  const since = url.searchParams.has("since") ? decodeBase64(url.searchParams.get("since")!, "since") : undefined;
  const session = await existing(access);
  if (!session) throw new YjsError("ERR_ROOM_NOT_FOUND", "This room has no document");
  try {
    await session.whenWhole(); // an update being applied in slices is read once it is all in
    const doc = session.doc;
    const body =
      format === "state-vector" ? binaryBody(Y.encodeStateVector(doc)) : format === "update" ? binaryBody(diff(doc, since)) : JSON.stringify(docToJson(doc));
    await session.whenShareable(); // with strict durability, nobody reads what a crash could take back
    return new Response(body, { headers: typeof body === "string" ? { "Content-Type": "application/json" } : BINARY });
  } finally {
    access.done?.(session);
  }
}

function diff(doc: Y.Doc, since: Uint8Array | undefined): Uint8Array {
  try {
    return Y.encodeStateAsUpdate(doc, since);
  } catch {
    throw new YjsError("ERR_BAD_REQUEST", "since is not a Yjs state vector");
  }
}

async function getAwareness(access: DocumentAccess): Promise<Response> {
  const session = access.live();
  if (!session && !(await storedOrUnknown(access))) throw new YjsError("ERR_ROOM_NOT_FOUND", "This room has no document");
  const states = session ? [...session.awareness.getStates()] : [];
  return Response.json(states.map(([clientId, state]) => ({ clientId, state })));
}

async function postUpdate(req: Request, access: DocumentAccess): Promise<Response> {
  // The media type itself, parameters aside (`application/octet-stream; charset=…`); not a prefix of another.
  const type = (req.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/octet-stream") {
    throw new YjsError("ERR_UNSUPPORTED_MEDIA_TYPE", "POST a binary Yjs update as application/octet-stream");
  }
  // The bytes are read as sent: a compressed body would be taken for a broken update (or, unlucky, a valid one).
  const encoding = (req.headers.get("content-encoding") ?? "identity").trim().toLowerCase();
  if (encoding !== "identity") {
    throw new YjsError("ERR_UNSUPPORTED_MEDIA_TYPE", `Content-Encoding ${JSON.stringify(encoding)} is not accepted: POST the update uncompressed`);
  }
  if (await access.readOnly(req)) throw new YjsError("ERR_READ_ONLY", "This room is read-only");
  const update = await readBody(req, access.maxBodyBytes ?? YJS_LIMITS.maxHttpUpdateBytes);
  // A live room checks the update in the one walk before it is applied; a room is not loaded for a non-update.
  let session = access.live();
  if (!session) {
    validateUpdate(update);
    session = await access.open();
  }
  try {
    await session.applyUpdate(update);
    const doc = session.doc;
    const stateVector = Buffer.from(Y.encodeStateVector(doc)).toString("base64");
    if (heldBack(doc, update)) return Response.json({ ok: true, pending: true, stateVector }, { status: 202 });
    return Response.json({ ok: true, stateVector });
  } finally {
    access.done?.(session);
  }
}

/**
 * Whether Yjs holds (part of) an applied `update` back as pending: it builds on changes the document has not
 * seen yet (stored, and applied once they arrive). Only a document with something pending needs the check.
 */
function heldBack(doc: Y.Doc, update: Uint8Array): boolean {
  const { pendingStructs, pendingDs } = doc.store;
  return (pendingStructs !== null || pendingDs !== null) && wouldChange(doc, update);
}

/** The update POSTed: refused over `maxBytes` (see `readBodyAtMost`) and when empty. */
async function readBody(req: Request, maxBytes: number): Promise<Uint8Array> {
  const bytes = await readBodyAtMost(req, maxBytes);
  if (!bytes) throw new YjsError("ERR_BODY_TOO_BIG", `The body is over ${maxBytes} bytes`);
  if (bytes.byteLength === 0) throw new YjsError("ERR_BAD_REQUEST", "The body is empty; POST a Yjs update");
  return bytes;
}

function decodeBase64(value: string, name: string): Uint8Array {
  // A "+" the client did not escape reaches us as a space (form decoding); base64 has no spaces, so it is a "+".
  const base64 = value.replace(/ /g, "+");
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(base64)) {
    throw new YjsError("ERR_BAD_REQUEST", `${name} is not base64 (or base64url); escape it for a URL (encodeURIComponent)`);
  }
  return new Uint8Array(Buffer.from(base64.replace(/-/g, "+").replace(/_/g, "/"), "base64"));
}
