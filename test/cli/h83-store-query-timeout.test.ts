/**
 * PostgreSQL's `queryTimeoutMs` (how long one statement or new connection may take) set from the command line
 * (`--query-timeout <ms>`) and from yparty.json (`"store": { "url", "queryTimeoutMs" }`), as createServer takes it:
 * before, neither existed and a PostgreSQL that does not answer held `yparty start` for the 10 s connect timeout.
 * The database here is a listener that takes connections and never answers (a frozen server, a black-holed path).
 */
import { createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { deferredCleanups, projectWith, runCli } from "./helpers.js";

const defer = deferredCleanups(afterEach);

/** A TCP listener on 127.0.0.1 that accepts and never says a word; closed (its sockets too) after the test. */
async function silentDatabase(): Promise<string> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  defer(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise((resolve) => server.close(resolve));
  });
  return `postgres://app@127.0.0.1:${(server.address() as { port: number }).port}/yparty`;
}

/** `yparty start` in `cwd`, with how long it took to give up. */
async function timedStart(cwd: string, args: string[]) {
  const started = performance.now();
  const result = await runCli(["start", "--port", "0", ...args], { cwd, timeoutMs: 20_000 });
  return { ...result, ms: performance.now() - started };
}

describe("PostgreSQL queryTimeoutMs from the CLI and the config", () => {
  it("--query-timeout gives up on a silent PostgreSQL after that long, naming it (exit 2)", async () => {
    const url = await silentDatabase();
    const dir = await projectWith(defer, {});
    const result = await timedStart(dir, ["--store", url, "--query-timeout", "300"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`Could not open ${url}: Connection terminated due to connection timeout`);
    expect(result.ms).toBeLessThan(5_000); // the default waits 10 s
  });

  it('"store": { url, queryTimeoutMs } in yparty.json does the same', async () => {
    const url = await silentDatabase();
    const dir = await projectWith(defer, { "yparty.json": JSON.stringify({ store: { url, queryTimeoutMs: 300 } }) });
    const result = await timedStart(dir, []);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`Could not open ${url}: Connection terminated due to connection timeout`);
    expect(result.ms).toBeLessThan(5_000);
  });

  it("a bad value is a usage error naming the flag or the field and what it takes", async () => {
    const url = "postgres://app@127.0.0.1:1/yparty";
    const expected = "expected a whole number of milliseconds from 1 to 2147483647 (default 30000)";
    const empty = await projectWith(defer, {});
    for (const value of ["0", "-5", "1.5", "soon", "2147483648"]) {
      const result = await runCli(["start", "--port", "0", "--store", url, `--query-timeout=${value}`], { cwd: empty });
      expect({ value, code: result.code, stderr: result.stderr }).toEqual({
        value,
        code: 2,
        stderr: expect.stringContaining(`--query-timeout: ${expected}, got "${value}"`),
      });
    }
    const alone = await runCli(["start", "--port", "0", "--query-timeout", "500"], { cwd: empty });
    expect({ code: alone.code, stderr: alone.stderr }).toEqual({
      code: 2,
      stderr: expect.stringContaining("--query-timeout: is PostgreSQL's: it needs --store"),
    });
    for (const [value, message] of [
      [0, `${expected}, got "0"`],
      [1e12, `${expected}, got "1000000000000"`],
      ["30s", 'expected a number, got the string "30s"'],
    ] as const) {
      const dir = await projectWith(defer, { "yparty.json": JSON.stringify({ store: { url, queryTimeoutMs: value } }) });
      const result = await runCli(["start", "--port", "0"], { cwd: dir });
      expect({ value, code: result.code, stderr: result.stderr }).toEqual({
        value,
        code: 2,
        stderr: expect.stringContaining(`store.queryTimeoutMs: ${message}`),
      });
    }
    const noUrl = await projectWith(defer, { "yparty.json": JSON.stringify({ store: { queryTimeoutMs: 500 } }) });
    expect((await runCli(["start", "--port", "0"], { cwd: noUrl })).stderr).toContain("store.url: is missing");
  });
});
