import { readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { deferredCleanups, serveFixture } from "./helpers.js";
import { connectText, within, wsUrl } from "./ws-client.js";

const defer = deferredCleanups(afterEach);
const devServer = (fixture: string) => serveFixture(defer, "dev", fixture);
const connect = (url: string) => connectText(defer, url);

describe("yparty dev", () => {
  it("prints a banner with the URL, the parties and the data folder", async () => {
    const { cli, url } = await devServer("class-api");
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(cli.stdout).toContain("parties  main (src/server.ts)");
    expect(cli.stdout).toContain("data     .yparty (LevelDB)");
    expect(cli.stdout).toMatch(/admin {4}token \S+ \(saved in \.yparty\/server\.json/);
    expect(cli.output).toContain("Ignoring PartyKit platform fields");
  });

  it("reloads on a file change: sockets close with 1012, the new code answers, storage is kept", async () => {
    const { dir, cli, url } = await devServer("class-api");
    const first = await (await fetch(`${url}/parties/main/room-a`)).json();
    expect(first).toEqual({ label: "v1", count: 1, room: "room-a" });

    const client = connect(wsUrl(url, "/parties/main/room-a"));
    expect(await client.next((m) => m.startsWith("hello"))).toBe("hello v1 from room-a (earth) function");

    const labelFile = path.join(dir, "src", "label.ts");
    await writeFile(labelFile, (await readFile(labelFile, "utf8")).replace('"v1"', '"v2"'));
    const closed = await within(client.closed, 15_000, "the reload to close the socket");
    expect(closed.code).toBe(1012);
    await cli.waitFor(/dev\.reloaded/);

    const again = connect(wsUrl(url, "/parties/main/room-a"));
    expect(await again.next((m) => m.startsWith("hello"))).toBe("hello v2 from room-a (earth) function");
    // room.storage survived the reload: the counter goes on.
    expect(await (await fetch(`${url}/parties/main/room-a`)).json()).toEqual({ label: "v2", count: 2, room: "room-a" });
  });

  it("files that are not inputs of the bundle, and saves that do not change it, never close the clients", async () => {
    const { dir, cli, url } = await serveFixture(defer, "dev", "class-api", ["--log-level", "debug"]);
    const client = connect(wsUrl(url, "/parties/main/room-a"));
    await client.next((m) => m.startsWith("hello"));
    const mark = cli.output.length;
    // A note and a module nothing imports appear next to the server code.
    await writeFile(path.join(dir, "src", "notes.txt"), "todo");
    await writeFile(path.join(dir, "src", "scratch.ts"), "export const unused = 1;\n");
    await cli.waitFor(/dev\.change_ignored.*notes\.txt/, 15_000, mark);
    await cli.waitFor(/dev\.change_ignored.*scratch\.ts/, 15_000, mark);
    // An input saved as it was: rebuilt, the same bundle, nothing reloaded.
    const labelFile = path.join(dir, "src", "label.ts");
    const temp = path.join(dir, "src", ".label.ts.tmp"); // saved as editors do: one rename, never a half-written file
    await writeFile(temp, await readFile(labelFile, "utf8"));
    await rename(temp, labelFile);
    await cli.waitFor(/dev\.unchanged/, 15_000, mark);
    expect(cli.output.slice(mark)).not.toContain("dev.reloaded");
    expect(client.socket.readyState).toBe(client.socket.OPEN);
  });

  it("a build error is printed and the last good build keeps serving", async () => {
    const { dir, cli, url } = await devServer("class-api");
    const serverFile = path.join(dir, "src", "server.ts");
    const good = await readFile(serverFile, "utf8");
    const mark = cli.output.length;
    await writeFile(serverFile, good.replace("export default class Server", "export default class Server {{"));
    await cli.waitFor(/Still serving the last good build\. The server code failed to build:/, 15_000, mark);
    expect(cli.output.slice(mark)).toMatch(/src\/server\.ts:\d+:\d+/);
    expect(await (await fetch(`${url}/parties/main/still-up`)).json()).toMatchObject({ label: "v1", count: 1 });

    // Fixing the file brings the new build in.
    await writeFile(serverFile, good.replace("count, room:", "count, fixed: true, room:"));
    await cli.waitFor(/dev\.reloaded/, 15_000, mark);
    expect(await (await fetch(`${url}/parties/main/still-up`)).json()).toMatchObject({ fixed: true, count: 2 });
  });

  it("code that builds but throws as it loads is reported on every save, never served", async () => {
    const { dir, cli, url } = await devServer("class-api");
    const serverFile = path.join(dir, "src", "server.ts");
    const good = await readFile(serverFile, "utf8");
    const broken = `throw new Error("boom while loading");\n${good}`;
    // Saved as editors do, by rename: one change event per save.
    const save = async (text: string) => {
      await writeFile(`${serverFile}.tmp`, text);
      await rename(`${serverFile}.tmp`, serverFile);
    };
    const reports = () => cli.output.split("The server code threw while loading").length - 1;
    await save(broken);
    await cli.waitFor(/threw while loading:\nError: boom while loading/, 15_000);
    expect(reports()).toBe(1);
    // The same bytes saved again: loaded (and refused) again, not taken for the build that is still served.
    await save(broken);
    await cli.waitFor(/threw while loading:[\s\S]*threw while loading:/, 15_000);
    expect(await (await fetch(`${url}/parties/main/still-up`)).json()).toMatchObject({ label: "v1" });
  });
});
