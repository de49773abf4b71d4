/**
 * `StateMirror` checks a snapshot's and a patch's checksum with `stateChecksum`, which throws on what has no JSON
 * form: a `state.snapshot` without `state` (a JSON frame can leave it out), a snapshot or a patch result holding NaN or
 * Infinity (a MessagePack frame carries them as floats). The mirror lets it throw instead of refusing the frame
 * ("resync"): the throw leaves the typed client's `#receive` from the socket's message handler, which in Node is an
 * uncaught exception (the process ends; checked with a fake server answering a join with such a snapshot), and the
 * room is neither resynced nor reported. Every other bad frame from the server is refused or reported as an `error`.
 */
import { describe, expect, it } from "vitest";
import { StateMirror } from "../../rooms-client/mirror.js";

function verdict(run: () => unknown): unknown {
  try {
    return run();
  } catch (error) {
    return `threw: ${(error as Error).message}`;
  }
}

describe("rooms-client: StateMirror with a frame whose state has no JSON form", () => {
  it("a snapshot without state is refused (resync), not thrown", () => {
    const mirror = new StateMirror();
    expect(verdict(() => mirror.snapshot({ seq: 1, checksum: "00000000" } as { state: unknown; seq: number; checksum: string }))).toBe("resync");
  });

  it("a snapshot holding Infinity (MessagePack) is refused (resync), not thrown", () => {
    const mirror = new StateMirror();
    expect(verdict(() => mirror.snapshot({ state: { x: Number.POSITIVE_INFINITY }, seq: 1, checksum: "00000000" }))).toBe("resync");
  });

  it("a patch whose result holds NaN (MessagePack) is refused (resync), not thrown", () => {
    const mirror = new StateMirror();
    expect(mirror.snapshot({ state: { x: 1 }, seq: 1 })).toBe("applied");
    expect(verdict(() => mirror.patch({ ops: [{ op: "replace", path: "/x", value: Number.NaN }], seq: 2, checksum: "00000000" }))).toBe("resync");
    expect(mirror.state).toEqual({ x: 1 });
  });
});
