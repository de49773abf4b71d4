/**
 * yparty/yjs: the Yjs room. Two faces over one core (DocumentSession):
 * - y-partykit style: `onConnect(conn, room, options)`, `unstable_getYDoc(room, options)` (+ `onRequest`);
 * - y-partyserver style: `class extends YServer`;
 * and `DocumentParty`, the built-in default party. See docs/yjs.md and docs/protocol.md.
 */
export { onConnect, onRequest, unstable_getYDoc } from "./partykit.js";
export { YServer, DocumentParty, type YServerCallbackOptions } from "./yserver.js";
export { DocumentSession, type SessionOptions, type SessionPersistence, type SessionState } from "./session.js";
export type { SessionConnection, AttachOptions } from "./peer.js";
export { SharedDoc } from "./shared-doc.js";
export { handleDocumentRequest, type DocumentAccess } from "./http-api.js";
export { docToJson, inferRootKind, type RootKind } from "./json-export.js";
export { YjsError, type YjsErrorCode } from "./errors.js";
export type { CompactionPolicy } from "./compaction.js";
export type {
  CallbackOptions,
  HandlerCallbackOptions,
  UrlCallbackOptions,
  YPartyKitOptions,
  YPartyKitPersistenceStrategy,
} from "./options.js";
