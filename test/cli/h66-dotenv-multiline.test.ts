/**
 * `.env` values reach `room.env` (docs/cli.md, `vars`: ".env then .env.local then --var win over it"), read "as
 * dotenv reads it" (src/cli/config/dotenv.ts). dotenv (and so PartyKit) reads a double-quoted value across lines
 * — the usual way to keep a PEM key or a certificate in `.env`. parseDotenv splits the file into lines first:
 * the first line `KEY="-----BEGIN…` falls to the unquoted branch, starts with a quote, and has its first and
 * last characters cut; the key reaches the server as `-----BEGIN PRIVATE KEY----` and the rest is dropped.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { deferredCleanups, serveIn, tempDir } from "./helpers.js";

const defer = deferredCleanups(afterEach);

const pem = "-----BEGIN PRIVATE KEY-----\nMIIBVQIBADANBgkqhkiG9w0BAQEFAASCAT8wggE7AgEAAkEA\n-----END PRIVATE KEY-----";

describe(".env values that span lines", () => {
  it("a double-quoted multi-line value reaches room.env and process.env whole", async () => {
    const { dir, remove } = await tempDir("yparty-h66-dotenv-");
    defer(remove);
    await mkdir(path.join(dir, "src"));
    await writeFile(path.join(dir, "partykit.json"), JSON.stringify({ name: "dotenv", main: "src/server.ts" }));
    await writeFile(
      path.join(dir, "src", "server.ts"),
      `export default class Server {
  constructor(readonly room) {}
  onRequest() {
    return Response.json({ env: this.room.env.PRIVATE_KEY, process: process.env.PRIVATE_KEY, after: this.room.env.AFTER });
  }
}
`,
    );
    await writeFile(path.join(dir, ".env"), `PRIVATE_KEY="${pem}"\nAFTER=ok\n`);
    const { url } = await serveIn(defer, "start", dir, ["--no-persist"]);
    const answer = (await (await fetch(`${url}/parties/main/r`)).json()) as Record<string, string>;
    expect(answer.after).toBe("ok");
    expect(answer.env).toBe(pem);
    expect(answer.process).toBe(pem);
  });
});
