/**
 * A data folder taken from a running `yparty start`: deleted (`rm -rf`) while clients write. LevelDB keeps its files
 * open, so writes go on landing in files nobody can open again: the server must stop acknowledging (POST, durable acks)
 * and say what happened and what to do, instead of answering 200 for updates a restart no longer has. Also: a second
 * `yparty start` on a folder in use refuses it and leaves the first one serving.
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { CliProcess } from "../cli/helpers.js";
import { waitFor } from "../helpers/server.js";
import { TokenWriter } from "../helpers/token-writer.js";
import { damageWorkspace, postUpdate, postUpdates, roomAnswer } from "./damage-support.js";

const workspace = damageWorkspace();

async function start(dir: string, cwd: string): Promise<{ cli: CliProcess; url: string }> {
  const cli = new CliProcess(["start", "--port", "0", "--persist", dir], { cwd });
  workspace.running.add(cli);
  return { cli, url: await cli.url() };
}

describe("the data folder of a running server", () => {
  it("deleted while clients write: nothing more is acknowledged, and the server says the folder is gone and what to do", { timeout: 60_000 }, async () => {
    const dir = await workspace.tempDir();
    const data = path.join(dir, "data");
    const { cli, url } = await start(data, dir);
    await postUpdates(url, "posted", 5);
    const writer = new TokenWriter(url.replace("http://", ""), "main", "typed");
    await writer.opened;
    for (let i = 0; i < 5; i++) writer.write(`before-${i}`);
    await waitFor(writer.settled(), "the tokens before the deletion to be acknowledged");

    await fs.rm(data, { recursive: true, force: true });

    // A POST is not answered 200: its update could not be stored.
    const doc = new Y.Doc();
    let update: Uint8Array | undefined;
    doc.once("update", (u: Uint8Array) => (update = u));
    doc.getMap("m").set("after", "the deletion");
    const answer = await postUpdate(url, "posted", update!);
    expect(answer.status).toBe(503);
    expect(await answer.text()).toContain("was deleted, emptied or replaced while the server ran");
    // A socket's tokens written after it are never acknowledged; the room stays live (collaboration goes on).
    for (let i = 0; i < 5; i++) writer.write(`after-${i}`);
    await cli.waitFor(
      /yjs\.append_failed.*"doc":"main\/typed".*was deleted, emptied or replaced while the server ran.*Stop the server, put the data folder back/,
      10_000,
    );
    expect(writer.acknowledged).toEqual(["before-0", "before-1", "before-2", "before-3", "before-4"]);
    expect((await roomAnswer(url, "posted")).status).toBe(200);
    // Nothing was made again where the folder was (an empty database would look like rooms never written).
    expect(await fs.stat(data).catch(() => undefined)).toBeUndefined();
    writer.close();
  });

  it("a second yparty start on it exits 1 saying another process uses it; the first goes on serving and storing", { timeout: 60_000 }, async () => {
    const dir = await workspace.tempDir();
    const { url } = await start(dir, dir);
    await postUpdates(url, "r", 3);
    const second = new CliProcess(["start", "--port", "0", "--persist", dir], { cwd: dir });
    workspace.running.add(second);
    const code = await waitFor(new Promise((resolve) => second.child.once("exit", resolve)), "the second server to exit", 20_000);
    expect(code).toBe(1);
    expect(second.output).toContain(`${dir} is in use by another yparty process (stop that process, or start this one with a different data folder`);
    await postUpdates(url, "r", 3, 3);
    expect(await roomAnswer(url, "r")).toEqual({ status: 200, keys: 6 });
  });
});
