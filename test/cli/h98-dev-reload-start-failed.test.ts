/**
 * `yparty dev` reloading a room that is still starting, to code whose start fails: the connection handed to the next
 * instance (with what its client sent) is lost with it, and the log says so — `connection.handover_failed` with
 * `lostMessages`, as when the server's shutdown ends a handover — not only `room.start_failed`.
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { frame, rawClient } from "../helpers/raw-websocket.js";
import { deferredCleanups, projectWith, serveIn } from "./helpers.js";
import { within } from "./ws-client.js";

const defer = deferredCleanups(afterEach);

const STARTS_NEVER = "export default class { async onStart() { await new Promise(() => {}); } onMessage() {} }";
const FAILS_TO_START = 'export default class { onStart() { throw new Error("broken start"); } onMessage() {} }';

/** A masked close frame with code 1000 (mask 0). */
const CLOSE_1000 = Buffer.from([0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8]);

describe("yparty dev reload to code that fails to start", () => {
  it("logs the handed connection's lost messages", async () => {
    const dir = await projectWith(defer, { "src/server.ts": STARTS_NEVER });
    const { cli, url } = await serveIn(defer, "dev", dir, ["src/server.ts"]);
    const client = await rawClient(Number(new URL(url).port), "/parties/main/r?_pk=early");
    defer(() => client.socket.destroy());
    const hello = frame(new TextEncoder().encode("hello"));
    await client.write(Buffer.concat([hello, frame(new TextEncoder().encode("again")), CLOSE_1000]));
    expect(await within(client.closed, 10_000, "the server to answer the close")).toBe(1000);

    const mark = cli.output.length;
    await writeFile(path.join(dir, "src", "server.ts"), FAILS_TO_START);
    const [line] = await cli.waitFor(/.*connection\.handover_failed.*/, 15_000, mark);
    for (const field of ["connection=early", "lostMessages=2", "code=ERR_START_FAILED", "room=r"]) expect(line).toContain(field);
  });
});
