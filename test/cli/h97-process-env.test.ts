/**
 * Party code runs in yparty's process, so its `process.env` is the host's environment: PartyKit's basic example logs
 * process.env at start, and under `yparty start` that wrote the admin token, the store's $PGPASSWORD and a
 * DATABASE_URL with the password to the log. yparty's own secrets now leave process.env (and show as *** in
 * process.argv) before project code runs; the host's other variables stay, and the store still signs in with
 * $PGPASSWORD (PostgreSQL here requires it) for every connection it opens later.
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { startPostgres, stopAllEngines } from "../helpers/engines.js";
import { CliProcess, deferredCleanups, projectWith } from "./helpers.js";

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
});
