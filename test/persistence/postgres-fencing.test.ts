/**
 * The fencing primitives a cluster builds on (docs/persistence.md, "Fencing"): two storages on one PostgreSQL
 * database, as two nodes would be; a claim by one refuses the other's later writes with ERR_FENCED.
 */
import { afterAll, afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { PostgresStorage, StorageError, type PostgresStorageOptions } from "../../persistence/index.js";
import { stopAllEngines } from "../helpers/engines.js";
import { textOf, textUpdate } from "./helpers.js";
import { freshDatabase } from "./postgres-helpers.js";

afterAll(stopAllEngines);

const opened: PostgresStorage[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((storage) => storage.close()));
});

async function open(url: string, options: Partial<PostgresStorageOptions> = {}): Promise<PostgresStorage> {
  const storage = await PostgresStorage.open({ url, onWarning: () => undefined, ...options });
  opened.push(storage);
  return storage;
}

async function errorOf(promise: Promise<unknown>): Promise<StorageError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StorageError);
  return error as StorageError;
}

describe("PostgreSQL fencing", () => {
  it("refuses a writer's appends and key-value writes once another storage claimed the room; its other rooms still write", async () => {
    const { url } = await freshDatabase();
    const nodeA = await open(url, { mode: "cluster", owner: "node-a" });
    const nodeB = await open(url, { mode: "cluster", owner: "node-b" });
    const writer = new Y.Doc();
    expect(await nodeA.claim("main/shared", "node-a")).toBe(1);
    expect(await nodeA.claim("main/other", "node-a")).toBe(1);
    await nodeA.docs.append("main/shared", textUpdate(writer, "a1 "));
    await nodeA.kv("main/shared").put("who", "a");

    expect(await nodeB.claim("main/shared", "node-b")).toBe(2);
    expect(await nodeA.fenceOf("main/shared")).toBe(2);
    expect(await nodeA.heldFence("main/shared")).toBe(1);

    // One batch holding a fenced room and a room still owned: only the fenced one is refused.
    const stale = nodeA.docs.append("main/shared", textUpdate(writer, "a2 "));
    const owned = nodeA.docs.append("main/other", textUpdate(new Y.Doc(), "still mine"));
    const staleKv = nodeA.kv("main/shared").put("who", "a again");
    const refused = await errorOf(stale);
    expect(refused.code).toBe("ERR_FENCED");
    expect(refused.message).toContain('"main/shared"');
    expect(refused.message).toContain("fence 1, its fence is now 2");
    expect((await errorOf(staleKv)).code).toBe("ERR_FENCED");
    await owned;

    await nodeB.docs.append("main/shared", textUpdate(new Y.Doc(), "b1"));
    await nodeB.kv("main/shared").put("who", "b");
    const loaded = textOf(await nodeB.docs.load("main/shared"));
    expect(loaded).toContain("a1 ");
    expect(loaded).toContain("b1");
    expect(loaded).not.toContain("a2");
    expect(await nodeB.kv("main/shared").get("who")).toBe("b");
    expect(textOf(await nodeB.docs.load("main/other"))).toBe("still mine");
  });

  it("never acknowledges a stale write: of appends racing a claim, those that resolved are stored and those after it are refused", async () => {
    const { url } = await freshDatabase();
    const nodeA = await open(url, { mode: "cluster" });
    const nodeB = await open(url, { mode: "cluster" });
    await nodeA.claim("main/race");
    const writer = new Y.Doc();
    const outcomes: Array<Promise<"acked" | "fenced">> = [];
    const appendOne = (i: number) =>
      outcomes.push(
        nodeA.docs.append("main/race", textUpdate(writer, `<${i}>`)).then(
          () => "acked" as const,
          (error: StorageError) => (expect(error.code).toBe("ERR_FENCED"), "fenced" as const),
        ),
      );
    appendOne(0);
    expect(await outcomes[0]).toBe("acked");
    let i = 1;
    // Appends in flight when the claim is sent, more until it has returned (one batch at a time), and a few after it.
    for (; i < 6; i++) appendOne(i);
    const claimed = nodeB.claim("main/race");
    let claimDone = false;
    void claimed.then(() => (claimDone = true));
    while (!claimDone) {
      appendOne(i++);
      await outcomes.at(-1);
    }
    for (let after = 0; after < 5; after++) appendOne(i++);
    const results = await Promise.all(outcomes);
    expect(results.slice(-5)).toEqual(["fenced", "fenced", "fenced", "fenced", "fenced"]);
    const stored = textOf(await nodeB.docs.load("main/race"));
    results.forEach((result, n) => expect(stored.includes(`<${n}>`)).toBe(result === "acked"));
  });

  it("in cluster mode refuses writes of a room this storage did not claim, and after forget()", async () => {
    const { url } = await freshDatabase();
    const node = await open(url, { mode: "cluster" });
    const error = await errorOf(node.docs.append("main/unclaimed", textUpdate(new Y.Doc(), "x")));
    expect(error.code).toBe("ERR_FENCED");
    expect(error.message).toContain("has not claimed the room");
    await node.claim("main/unclaimed");
    await node.kv("main/unclaimed").put("k", 1);
    node.forget("main/unclaimed");
    expect((await errorOf(node.kv("main/unclaimed").put("k", 2))).code).toBe("ERR_FENCED");
    expect(await node.kv("main/unclaimed").get("k")).toBe(1);
  });

  it("in cluster mode writes a shared store (the server-wide alarms) from every node without a claim; its documents stay fenced", async () => {
    const { url } = await freshDatabase();
    const shared = { mode: "cluster", sharedRooms: ["__yparty:alarms"] } as const;
    const [nodeA, nodeB] = [await open(url, shared), await open(url, shared)];
    await nodeA.kv("__yparty:alarms").put("main/a", { at: 1 });
    await nodeB.kv("__yparty:alarms").put("main/b", { at: 2 });
    expect(await nodeA.kv("__yparty:alarms").list()).toEqual(
      new Map([
        ["main/a", { at: 1 }],
        ["main/b", { at: 2 }],
      ]),
    );
    expect(await nodeA.fenceOf("__yparty:alarms")).toBeUndefined();
    expect((await errorOf(nodeA.docs.append("__yparty:alarms", textUpdate(new Y.Doc(), "x")))).code).toBe("ERR_FENCED");
  });

  it("standalone: claims a room at its first write, and again (a higher fence) after a restart", async () => {
    const { url } = await freshDatabase();
    const first = await open(url);
    expect(await first.fenceOf("main/a")).toBeUndefined();
    await first.docs.append("main/a", textUpdate(new Y.Doc(), "one "));
    await first.kv("main/a").put("k", "v");
    expect(await first.fenceOf("main/a")).toBe(1);
    await first.close();
    const second = await open(url);
    await second.docs.append("main/a", textUpdate(new Y.Doc(), "two"));
    expect(await second.fenceOf("main/a")).toBe(2);
    expect(textOf(await second.docs.load("main/a"))).toContain("one ");
  });

  it("standalone: a second server on the same database fails with ERR_STORAGE_LOCKED until the first closes; cluster nodes share it", async () => {
    const { url, engine } = await freshDatabase();
    const first = await open(url);
    const second = await errorOf(open(url));
    expect(second.code).toBe("ERR_STORAGE_LOCKED");
    expect(second.message).toMatch(
      new RegExp(`^postgres://postgres@127\\.0\\.0\\.1:${engine.port}/yparty\\S* is in use by another yparty process \\(start both with --cluster\\)$`),
    );
    expect((await errorOf(open(url, { mode: "cluster" }))).code).toBe("ERR_STORAGE_LOCKED");
    await first.close();
    const nodes = [await open(url, { mode: "cluster" }), await open(url, { mode: "cluster" })];
    expect((await errorOf(open(url))).message).toContain("in use by another yparty process");
    await Promise.all(nodes.map((node) => node.close()));
    await open(url);
  });
});
