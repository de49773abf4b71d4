/**
 * parseJson5 against the reference `json5` package (a differential fuzz, run outside the repo): the cases where
 * they disagreed, kept as plain cases (yparty does not depend on `json5`).
 */
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseJson5 } from "../../src/cli/config/json5.js";
import { readConfigFile } from "../../src/cli/config/read.js";
import { deferredCleanups, projectWith, runCli } from "./helpers.js";

describe("parseJson5 keys (ECMAScript 5.1 IdentifierName, as the JSON5 spec says)", () => {
  it.each([
    ["{𝑥: 1}", { 𝑥: 1 }],
    ["{a𝑥: 1}", { a𝑥: 1 }],
    ["{𐐀 : 'x'}", { 𐐀: "x" }],
    ["{a\\u0062: 1}", { ab: 1 }],
    ["{\\u0061: 1}", { a: 1 }],
    ["{a\\u0300: 1}", { "a\u0300": 1 }],
    ["{x\u200c: 1}", { "x\u200c": 1 }],
    ["{ⅰ: 1}", { ⅰ: 1 }],
  ])("reads %j (letters beyond the BMP, escapes of name characters)", (text, expected) => {
    expect(parseJson5(text)).toEqual(expected);
  });

  it.each([
    ["{\\u0020: 1}", '"\\\\u0020" is not a character a key can hold at 1:2'],
    ["{\\u0031: 1}", '"\\\\u0031" is not a character a key can hold at 1:2'],
    ["{a\\u002d: 1}", '"\\\\u002d" is not a character a key can hold at 1:3'],
    ["{\\u0300a: 1}", '"\\\\u0300" is not a character a key can hold at 1:2'],
    ["{\\uD835\\uDC65: 1}", '"\\\\uD835" is not a character a key can hold at 1:2'],
    ["{℘: 1}", 'unexpected "℘", expected a key (a name or a quoted string) or "}" at 1:2'],
    ["{゛: 1}", 'unexpected "゛", expected a key (a name or a quoted string) or "}" at 1:2'],
    ["{a·: 1}", 'unexpected "·", expected ":" after the key "a" at 1:3'],
    ["{a・: 1}", 'unexpected "・", expected ":" after the key "a" at 1:3'],
    ["{\u200cx: 1}", 'unexpected "\u200c", expected a key (a name or a quoted string) or "}" at 1:2'],
    ["[😀]", 'unexpected "😀", expected a value at 1:2'],
  ])("refuses %j", (text, message) => {
    expect(() => parseJson5(text)).toThrow(message);
  });
});

describe("parseJson5 nesting", () => {
  it("reads nesting a config could hold", () => {
    expect(parseJson5(`${"[".repeat(1000)}1${"]".repeat(1000)}`)).toEqual(JSON.parse(`${"[".repeat(1000)}1${"]".repeat(1000)}`));
  });

  it.each([
    ["[".repeat(100_000), "nested more than 1000 deep at 1:1001"],
    [`${"[".repeat(5000)}${"]".repeat(5000)}`, "nested more than 1000 deep at 1:1001"],
    [`{a:\n${"{a:".repeat(20_000)}`, "nested more than 1000 deep at 2:2998"],
  ])("refuses deeper nesting with a syntax error, not a stack overflow (%#)", (text, message) => {
    expect(() => parseJson5(text)).toThrow(expect.objectContaining({ name: "SyntaxError", message }));
  });
});

describe("partykit.json5 nested too deep", () => {
  const defer = deferredCleanups(afterEach);

  it("is a config error naming the place, not an unexpected failure", async () => {
    const dir = await projectWith(defer, {
      "server.js": "export default class {}\n",
      "partykit.json5": `{\n  main: 'server.js',\n  vars: { a: ${"[".repeat(20_000)}${"]".repeat(20_000)} },\n}\n`,
    });
    const result = await runCli(["dev"], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/partykit\.json5:3:1012: not valid JSON5 \(nested more than 1000 deep\)/);
  });
});

describe("parseJson5 error positions", () => {
  it.each([
    ["{\n  a: 1\n  b: 2\n}", 'unexpected "b", expected "," or "}" at 3:3'],
    ["{\r\n  a: 1\r\n  b: 2\r\n}", 'unexpected "b", expected "," or "}" at 3:3'],
    // Old Mac line ends: a line break for editors and for JSON5 (a LineTerminator)
    ["{\r  a: 1\r  b: 2\r}", 'unexpected "b", expected "," or "}" at 3:3'],
    ["// note\r{a: 1,\r b: 'x\\\r y',\r c: 'open\r}", "line break in a string (end the line with \\ to continue it) at 5:10"],
  ])("counts lines as editors do in %j", (text, message) => {
    expect(() => parseJson5(text)).toThrow(message);
  });
});

describe("config files saved with a byte order mark", () => {
  const defer = deferredCleanups(afterEach);

  it.each(["partykit.json", "partykit.json5", "yparty.json"])("%s with a UTF-8 BOM (Notepad, PowerShell) is read", async (name) => {
    const dir = await projectWith(defer, { [name]: '\ufeff{ "name": "bom-app", "main": "server.js" }\n' });
    const { config, problems } = readConfigFile(path.join(dir, name));
    expect(problems).toEqual([]);
    expect(config).toMatchObject({ name: "bom-app", main: "server.js" });
  });

  it("still places a syntax error after the BOM on its line and column", async () => {
    const dir = await projectWith(defer, { "partykit.json": '\ufeff{\n  "name": "app"\n  "main": "x"\n}\n' });
    expect(() => readConfigFile(path.join(dir, "partykit.json"))).toThrow(/partykit\.json:3:3: not valid JSON/);
  });
});
