/**
 * A stored Yjs update as the document's JSON, for `yparty export`. The admin handler is given it
 * (`AdminOptions.updateToJson`) rather than importing Yjs itself.
 */
import * as Y from "yjs";
import { docToJson } from "../../yjs/json-export.js";

/** A stored Yjs update as the document's JSON (the same shape as `GET /parties/{party}/{room}`). */
export function updateToJson(update: Uint8Array): unknown {
  const doc = new Y.Doc();
  try {
    Y.applyUpdate(doc, update);
    return docToJson(doc);
  } finally {
    doc.destroy();
  }
}
