import { describe, expect, it } from "vitest";
import { createLogger, type LogEntry } from "../../src/runtime/index.js";

describe("the logger", () => {
  it("writes JSON lines with the error's code and stack, and feeds subscribers", () => {
    const lines: string[] = [];
    const seen: LogEntry[] = [];
    const logger = createLogger({ json: true, write: (line) => lines.push(line) });
    const unsubscribe = logger.subscribe((entry) => seen.push(entry));
    logger.debug("dropped", {});
    const error = Object.assign(new Error("broken"), { code: "ERR_X" });
    logger.error("room.hook_failed", { code: "ERR_HOOK_FAILED", party: "main", room: "r", error });
    unsubscribe();
    logger.warn("after.unsubscribe");
    expect(lines).toHaveLength(2);
    const entry = JSON.parse(lines[0]!);
    expect(entry).toMatchObject({ level: "error", event: "room.hook_failed", code: "ERR_HOOK_FAILED", party: "main", room: "r" });
    expect(entry.error).toMatchObject({ name: "Error", message: "broken", code: "ERR_X" });
    expect(entry.error.stack).toContain("broken");
    expect(seen.map((e) => e.event)).toEqual(["room.hook_failed"]);
  });

  it("writes a readable one-liner (stack on the following lines) and honours the level", () => {
    const lines: string[] = [];
    const logger = createLogger({ level: "warn", write: (line) => lines.push(line) });
    logger.info("hidden");
    logger.warn("connection.error", { code: "ERR_SOCKET", room: "a b" });
    logger.error("failed", { error: new Error("bad") });
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT.* WARN {2}connection\.error code=ERR_SOCKET room="a b"$/);
    expect(lines[1]!.split("\n")[0]).toMatch(/ERROR failed$/);
    expect(lines[1]).toContain("Error: bad");
  });

  it("survives a throwing subscriber", () => {
    const logger = createLogger({ write: () => {} });
    const seen: string[] = [];
    logger.subscribe(() => {
      throw new Error("subscriber bug");
    });
    logger.subscribe((entry) => seen.push(entry.event));
    logger.info("still.delivered");
    expect(seen).toEqual(["still.delivered"]);
  });
});
