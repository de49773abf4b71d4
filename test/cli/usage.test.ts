import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { closedPort, runCli, tempDir } from "./helpers.js";

let project: { dir: string; remove: () => Promise<void> };
beforeEach(async () => {
  project = await tempDir();
});
afterEach(async () => {
  await project.remove();
});

describe("yparty --help", () => {
  it("lists every command and exits 0", async () => {
    const result = await runCli(["--help"]);
    expect(result.code).toBe(0);
    for (const command of ["dev", "start", "list", "tail", "delete", "export"]) expect(result.stdout).toMatch(new RegExp(`^  ${command}\\b`, "m"));
    expect(result.stdout).toContain("Exit codes: 0 ok, 1 runtime failure, 2 bad usage or config");
  });

  it.each(["dev", "start", "list", "tail", "delete", "export"])("explains 'yparty %s' with its flags", async (command) => {
    const result = await runCli([command, "--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Usage: yparty ${command}`);
    expect(result.stdout).toContain("--help");
  });

  it("documents the server flags", async () => {
    const { stdout } = await runCli(["help", "dev"]);
    for (const flag of ["--config", "--port", "--host", "--persist", "--no-persist", "--var KEY=VALUE", "--define KEY=VALUE", "--serve", "--admin-token"]) {
      expect(stdout).toContain(flag);
    }
  });

  it("with no command prints the help on stderr and exits 2", async () => {
    const result = await runCli([]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("Usage: yparty <command>");
  });

  it("prints the version", async () => {
    const result = await runCli(["--version"]);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe("bad usage exits 2 with a message and no stack", () => {
  const cases: Array<[string[], RegExp]> = [
    [["serve"], /Unknown command "serve"/],
    [["dev", "--bogus"], /yparty dev: Unknown option '--bogus'/],
    [["dev", "--port"], /--port.*argument missing|Option '-p, --port <value>' argument missing/],
    [["dev", "--port", "http"], /--port expects a port number 0-65535, got "http"/],
    [["dev", "--port", "70000"], /--port expects a port number 0-65535/],
    [["dev", "--var", "NOVALUE"], /--var expects KEY=VALUE, got "NOVALUE"/],
    [["dev", "a.ts", "b.ts"], /unexpected argument "b.ts"/],
    [["dev", "--persist", "x", "--no-persist"], /--persist and --no-persist contradict/],
    [["dev", "--log-level", "loud"], /--log-level must be one of debug, info, warn, error/],
    [["delete"], /yparty delete: missing <party>\/<room>/],
    [["dev", "missing-entry.ts"], /entry: file not found: .*missing-entry\.ts/],
    [["dev", "--serve", "no-such-folder"], /--serve: folder not found: .*no-such-folder/],
    [["dev", "--persist", "a-file.txt"], /--persist: .*a-file\.txt is a file, not a folder/],
    // A path through a file was "unexpected failure: ENOTDIR" (exit 1)
    [["dev", "--persist", "a-file.txt/data"], /--persist: .*a-file\.txt \(in .*a-file\.txt\/data\) is a file, not a folder/],
    [["start", "--host", "256.1.1.1", "--no-persist", "--port", "0"], /--host 256\.1\.1\.1 is not an address of this machine .*Use 127\.0\.0\.1/],
    // Any token was taken, "x" too: it guards every document's export and delete.
    [
      ["start", "--no-persist", "--port", "0", "--admin-token", "secret"],
      /--admin-token \(or \$YPARTY_ADMIN_TOKEN\) is 6 characters; it needs at least 16.*openssl rand/,
    ],
  ];
  it.each(cases)("yparty %j", async (args, message) => {
    await writeFile(path.join(project.dir, "a-file.txt"), "not a folder");
    const result = await runCli(args, { cwd: project.dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it("delete without a terminal and without --yes refuses (exit 2)", async () => {
    const result = await runCli(["delete", "main/room", "--url", "http://127.0.0.1:9", "--token", "t"], { cwd: project.dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("Pass --yes");
  });

  it("a data folder that cannot be made exits 1 saying so, at once (/proc/x: Node's recursive mkdir looped for good, and SIGTERM did not end it)", async () => {
    const result = await runCli(["start", "--port", "0", "--persist", "/proc/yparty-test/data"], { cwd: project.dir, timeoutMs: 15_000 });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("Could not open /proc/yparty-test/data: ENOENT: no such file or directory, mkdir '/proc/yparty-test'");
    expect(result.stderr).toContain("Pass --persist a folder this user can create and write to.");
    expect(result.stderr).not.toContain("unexpected failure");
  });

  it("an admin command with no running server exits 1 and says how to point it at one", async () => {
    const result = await runCli(["list"], { cwd: project.dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("No running server found");
    expect(result.stderr).toContain("--url and --token");
  });

  it("an unreachable server is reported (exit 1)", async () => {
    const port = await closedPort();
    const result = await runCli(["list", "--url", `http://127.0.0.1:${port}`, "--token", "t"], { cwd: project.dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`Cannot reach the server at http://127.0.0.1:${port} (ECONNREFUSED)`);
  });
});

describe("bad config exits 2 naming the file, the field and what was expected", () => {
  async function withConfig(name: string, content: string) {
    const file = path.join(project.dir, name);
    await writeFile(file, content);
    return { file, result: await runCli(["dev"], { cwd: project.dir }) };
  }

  it("reports every wrong type and unknown field at once", async () => {
    const { file, result } = await withConfig(
      "yparty.json",
      JSON.stringify({ port: "1999", serve: { path: "public", singlePageApp: "yes" }, persist: 3, vars: [], colour: "red" }),
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`Invalid config file ${file}`);
    expect(result.stderr).toContain('port: expected a number, got the string "1999"');
    expect(result.stderr).toContain('serve.singlePageApp: expected a boolean, got the string "yes"');
    expect(result.stderr).toContain("persist: expected a boolean or a string, got the number 3");
    expect(result.stderr).toContain("vars: expected an object, got an array");
    expect(result.stderr).toMatch(/colour: unknown field \(expected one of: .*main.*\)/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it("reports the name rule, missing entries, cron expressions and folders together with wrong types, in one run", async () => {
    const { file, result } = await withConfig(
      "partykit.json",
      JSON.stringify({ name: "My App", port: "1999", main: "missing.ts", parties: { chat: "chat.ts" }, crons: { nightly: "0 25 * * *" }, serve: "static" }),
    );
    expect(result.code).toBe(2);
    const lines = result.stderr.trim().split("\n");
    expect(lines[0]).toBe(`yparty: Invalid config file ${file}:`);
    expect(
      lines
        .slice(1)
        .map((line) => line.trim().split(":")[0])
        .sort(),
    ).toEqual(["crons.nightly", "main", "name", "parties.chat", "port", "serve"]);
    const bad = await runCli(["dev", "missing-entry.ts", "--name", "Bad Name", "--serve", "nowhere"], { cwd: project.dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/Invalid command line:\n( {2}(entry|--name|--serve): .*\n){3}/);
  });

  it("reports both problems of a rooms entry that names no module and a path inside the parties, in one run", async () => {
    const { result } = await withConfig("yparty.json", JSON.stringify({ rooms: { path: "/parties/rooms" }, limits: { maxRooms: 3 } }));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("rooms.entry: name the module that exports defineRooms({ types })");
    expect(result.stderr).toContain('rooms.path: "/parties/rooms" must start with "/" and lie outside /parties/ and /party/');
    expect(result.stderr).toMatch(/limits: .*maxRooms/);
  });

  it("reads partykit.json, with comments, and checks PartyKit's name rules", async () => {
    const { file, result } = await withConfig("partykit.json", `{\n  // my project\n  "name": "My Project",\n  "parties": { "main": "x.ts" },\n}\n`);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(file);
    expect(result.stderr).toContain('name: expected lowercase letters, digits, "-" or "_", got "My Project"');
    expect(result.stderr).toContain('parties.main: the "main" party is the "main" field');
  });

  it("reports JSON syntax errors with line and column", async () => {
    const { file, result } = await withConfig("yparty.json", `{\n  "port": 1999\n  "main": "x.ts"\n}`);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`${file.replace(/[.]/g, "\\.")}:3:\\d+: not valid JSON`));
  });

  it("reports a cron expression that cannot run, naming the schedule", async () => {
    const { file, result } = await withConfig("partykit.json", JSON.stringify({ crons: { nightly: "0 25 * * *" } }));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      `Invalid config file ${file}:\n  crons.nightly: Invalid cron expression "0 25 * * *": the hour field has "25"; it takes 0-23`,
    );
  });

  it("reports a missing entry file with the field", async () => {
    const { file, result } = await withConfig("yparty.json", JSON.stringify({ main: "src/server.ts" }));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`Invalid config file ${file}:\n  main: file not found: ${path.join(project.dir, "src/server.ts")}`);
  });

  it("refuses a config whose only content is a stray comma, and a serve folder that does not exist", async () => {
    const comma = await withConfig("yparty.json", "{,}");
    expect(comma.result.code).toBe(2);
    expect(comma.result.stderr).toMatch(/yparty\.json:1:\d+: not valid JSON/);
    const { file, result } = await withConfig("yparty.json", JSON.stringify({ serve: "static" }));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`Invalid config file ${file}:\n  serve: folder not found: ${path.join(project.dir, "static")}`);
  });

  it("reports a --config that does not exist", async () => {
    const result = await runCli(["dev", "--config", "nope.json"], { cwd: project.dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`Config file not found: ${path.join(project.dir, "nope.json")}`);
  });
});
