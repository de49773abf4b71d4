import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import * as syncProtocol from "y-protocols/sync";
import * as encoding from "lib0/encoding";
import {
  ProtocolError,
  decodeMessage,
  encodeAwareness,
  encodeDurableAck,
  encodePermissionDenied,
  encodeQueryAwareness,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeUpdate,
} from "../../src/protocol/index.js";

function docWithText(text: string): Y.Doc {
  const doc = new Y.Doc();
  doc.getText("t").insert(0, text);
  return doc;
}

describe("protocol messages", () => {
  it("encodes sync frames byte for byte as y-protocols does", () => {
    const doc = docWithText("hello");
    const theirs = encoding.createEncoder();
    encoding.writeVarUint(theirs, 0);
    syncProtocol.writeSyncStep1(theirs, doc);
    expect(encodeSyncStep1(Y.encodeStateVector(doc))).toEqual(encoding.toUint8Array(theirs));

    const theirStep2 = encoding.createEncoder();
    encoding.writeVarUint(theirStep2, 0);
    syncProtocol.writeSyncStep2(theirStep2, doc);
    expect(encodeSyncStep2(Y.encodeStateAsUpdate(doc))).toEqual(encoding.toUint8Array(theirStep2));
  });

  it("decodes every message it encodes", () => {
    const update = Y.encodeStateAsUpdate(docWithText("abc"));
    expect(decodeMessage(encodeUpdate(update))).toEqual({ type: "update", update });
    expect(decodeMessage(encodeSyncStep2(update))).toEqual({ type: "sync-step2", update });
    expect(decodeMessage(encodeAwareness(update))).toEqual({ type: "awareness", update });
    expect(decodeMessage(encodeQueryAwareness())).toEqual({ type: "query-awareness" });
    expect(decodeMessage(encodePermissionDenied("read-only"))).toEqual({
      type: "permission-denied",
      reason: "read-only",
    });
    expect(decodeMessage(encodeDurableAck(300))).toEqual({ type: "durable-ack", count: 300 });
  });

  it("refuses empty, truncated, unknown and over-long frames with stable codes", () => {
    const frame = encodeUpdate(Y.encodeStateAsUpdate(docWithText("abc")));
    const codeOf = (bytes: Uint8Array) => {
      try {
        decodeMessage(bytes);
      } catch (error) {
        expect(error).toBeInstanceOf(ProtocolError);
        expect((error as ProtocolError).closeCode).toBe(1007);
        return (error as ProtocolError).code;
      }
      return "accepted";
    };
    expect(codeOf(new Uint8Array())).toBe("ERR_EMPTY_FRAME");
    expect(codeOf(frame.subarray(0, frame.length - 2))).toBe("ERR_TRUNCATED");
    expect(codeOf(Uint8Array.of(42))).toBe("ERR_UNKNOWN_MESSAGE_TYPE");
    expect(codeOf(Uint8Array.of(0, 7, 0))).toBe("ERR_UNKNOWN_SYNC_TYPE");
    expect(codeOf(Uint8Array.of(...frame, 0))).toBe("ERR_TRAILING_BYTES");
  });
});
