/**
 * Party code runs in yparty's process, so its `process.env` is the host's environment: PartyKit's basic example logs
 * process.env at start, and under `yparty start` that wrote the admin token, the store's $PGPASSWORD and a
 * DATABASE_URL with the password to the log. yparty's own secrets now leave process.env (and show as *** in
 * process.argv) before project code runs; the host's other variables stay, and the store still signs in with
 * $PGPASSWORD (PostgreSQL here requires it) for every connection it opens later.
 *
 * (h100) `ps` and /proc/<pid>/cmdline read the arguments the process started with, not process.argv: a
 * `--store postgres://user:PASSWORD@…` or `--cluster redis://:PASSWORD@…` showed there to every user of the machine.
 * The running server now shows its command line with those passwords masked, the rest readable.
 */
import { execFile } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { createClient } from "@redis/client";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { promisify } from "node:util";
import { startPostgres, startRedis, stopAllEngines } from "../helpers/engines.js";
import { CliProcess, closedPort, deferredCleanups, projectWith } from "./helpers.js";

const defer = deferredCleanups(afterEach);
afterEach(stopAllEngines);

const party = `
console.log("process.env at start:", JSON.stringify(process.env));
export default class {
  constructor(room) { this.room = room; }
  async onRequest(request) {
    if (request.method === "POST") await this.room.storage.put("note", await request.text());
    const { YPARTY_ADMIN_TOKEN, PGPASSWORD, DATABASE_URL, REDIS_URL, MY_HOST_VAR } = process.env;
    return Response.json({ env: { YPARTY_ADMIN_TOKEN, PGPASSWORD, DATABASE_URL, REDIS_URL, MY_HOST_VAR }, argv: process.argv, note: await this.room.storage.get("note") });
  }
}
`;

/** A throwaway PostgreSQL whose TCP sign-in needs the password of role postgres (scram), not trust. */
async function postgresWithPassword(password: string): Promise<string> {
  const engine = await startPostgres();
  const admin = new pg.Client({ connectionString: engine.url });
  await admin.connect();
  try {
    await admin.query(`ALTER ROLE postgres PASSWORD '${password}'`);
    await writeFile(path.join(engine.dir, "data", "pg_hba.conf"), "local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n");
    await admin.query("SELECT pg_reload_conf()");
  } finally {
    await admin.end();
  }
  const refused = new pg.Client({ connectionString: engine.url });
  await expect(refused.connect()).rejects.toThrow(/password/);
  return engine.url;
}

describe("process.env of party code under yparty start", () => {
  it("holds the host's variables but none of yparty's secrets, and the store still signs in with $PGPASSWORD", async () => {
    const password = "h97-store-secret";
    const token = "h97-admin-token-0123456789";
    const url = await postgresWithPassword(password);
    const withPassword = url.replace("postgres@", `postgres:${password}@`);
    const dir = await projectWith(defer, { "partykit.json": JSON.stringify({ name: "env", main: "server.ts" }), "server.ts": party });
    const env = { YPARTY_ADMIN_TOKEN: token, PGPASSWORD: password, DATABASE_URL: withPassword, MY_HOST_VAR: "kept" };
    const cli = new CliProcess(["start", "--port", "0", "--store", url, "--admin-token", token], { cwd: dir, env });
    defer(() => cli.stop("SIGKILL"));
    const base = await cli.url();

    const stored = (await (await fetch(`${base}/party/r`, { method: "POST", body: "written after start" })).json()) as {
      env: Record<string, string | undefined>;
      argv: string[];
      note: string;
    };
    expect(stored.env).toEqual({ MY_HOST_VAR: "kept" });
    expect(stored.note).toBe("written after start");
    expect(stored.argv).toContain("***");
    expect(stored.argv.join(" ")).not.toContain(token);

    const logged = await cli.waitFor(/process\.env at start: (.*)/);
    expect(logged[1]).toContain('"MY_HOST_VAR":"kept"');
    expect(cli.output).not.toContain(token);
    expect(cli.output).not.toContain(password);
    const withdrawn = (await cli.waitFor(/"event":"env\.withdrawn","variables":"([^"]+)"/))[1]!.split(",");
    expect(withdrawn.sort()).toEqual(["DATABASE_URL", "PGPASSWORD", "YPARTY_ADMIN_TOKEN"]);
  });

  it("keeps the passwords of --store and --cluster out of ps and /proc/<pid>/cmdline", async () => {
    const password = "h100-store-secret";
    const redisPassword = "h100-redis-secret";
    const token = "h100-admin-token-0123456789";
    const url = (await postgresWithPassword(password)).replace("postgres@", `postgres:${password}@`);
    const redis = await startRedis();
    const admin = createClient({ url: redis.url });
    await admin.connect();
    await admin.configSet("requirepass", redisPassword);
    await admin.quit();
    const redisUrl = redis.url.replace("//", `//:${redisPassword}@`);
    const port = String(await closedPort());
    const args = ["start", "--port", port, "--store", url, "--cluster", redisUrl, "--advertise", `http://127.0.0.1:${port}`, "--admin-token", token];
    const dir = await projectWith(defer, {});
    const cli = new CliProcess(args, { cwd: dir });
    defer(() => cli.stop("SIGKILL"));
    await cli.url();

    const masked = `yparty start --port ${port} --store ${url.replace(password, "***")} --cluster ${redisUrl.replace(redisPassword, "***")} --advertise http://127.0.0.1:${port} --admin-token ***`;
    const cmdline = await readFile(`/proc/${cli.child.pid}/cmdline`, "latin1");
    expect(cmdline.replace(/\0+$/, "")).toBe(masked);
    const { stdout: ps } = await promisify(execFile)("ps", ["-o", "args=", "-p", String(cli.child.pid)]);
    expect(ps.trim()).toBe(masked);
  });
});
