/** partykit.json5 is read as JSON5 (not only JSON with comments), and its syntax errors name file, line and column. */
import { afterEach, describe, expect, it } from "vitest";
import { parseJson5 } from "../../src/cli/config/json5.js";
import { deferredCleanups, projectWith, runCli, serveIn } from "./helpers.js";

const defer = deferredCleanups(afterEach);

const echoServer = `export default class { constructor(room) { this.room = room; }
  onRequest() { return Response.json({ env: this.room.env, limit: LIMIT }); } }\n`;

describe("partykit.json5", () => {
  it("accepts unquoted keys, single quotes, trailing commas, hex numbers and +Infinity", async () => {
    const dir = await projectWith(defer, {
      "server.js": echoServer,
      "partykit.json5": `// PartyKit's JSON5 config
{
  name: 'json5-app',
  main: 'server.js',
  vars: { hex: 0xFF, big: +Infinity, half: .5, quote: 'it\\'s', "quoted": "x", },
  define: { LIMIT: '42', },
}
`,
    });
    const { url } = await serveIn(defer, "dev", dir);
    const body = await (await fetch(`${url}/parties/main/any`)).json();
    expect(body).toEqual({ env: { hex: 255, big: null, half: 0.5, quote: "it's", quoted: "x" }, limit: 42 });
  });

  it("reports a JSON5 syntax error with the file, line and column", async () => {
    const dir = await projectWith(defer, { "partykit.json5": "{\n  name: 'app',\n  port: 19 99,\n}\n" });
    const result = await runCli(["dev"], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/partykit\.json5:3:12: not valid JSON5 \(unexpected "9", expected "," or "}"\)/);
  });
});

describe("parseJson5", () => {
  it("reads what the JSON5 spec allows", () => {
    expect(
      parseJson5(`{
        // comments
        unquoted: 'and you can quote me on that',
        singleQuotes: 'I can use "double quotes" here',
        lineBreaks: "Look, Mom! \\
No \\\\n's!",
        hexadecimal: 0xdecaf,
        leadingDecimalPoint: .8675309, andTrailing: 8675309.,
        positiveSign: +1,
        negative: -0x10,
        trailingComma: 'in objects', andIn: ['arrays',],
        "backwardsCompatible": "with JSON",
        escapes: '\\x41\\u0042\\t\\0',
        /* block */ nan: NaN, inf: -Infinity, $_id: null, t: true, f: false,
      }`),
    ).toEqual({
      unquoted: "and you can quote me on that",
      singleQuotes: 'I can use "double quotes" here',
      lineBreaks: "Look, Mom! No \\n's!",
      hexadecimal: 0xdecaf,
      leadingDecimalPoint: 0.8675309,
      andTrailing: 8675309,
      positiveSign: 1,
      negative: -16,
      trailingComma: "in objects",
      andIn: ["arrays"],
      backwardsCompatible: "with JSON",
      escapes: "AB\t\0",
      nan: Number.NaN,
      inf: Number.NEGATIVE_INFINITY,
      $_id: null,
      t: true,
      f: false,
    });
  });

  it.each([
    ["{,}", 'unexpected ",", expected a key (a name or a quoted string) or "}" at 1:2'],
    ["[1,,]", 'unexpected ",", expected a value at 1:4'],
    ["{a: 01}", 'unexpected "0", expected a value at 1:5'],
    ["'open", "unterminated string at 1:6"],
    ["{a: 'x\ny'}", "line break in a string (end the line with \\ to continue it) at 1:7"],
    ["{a: 1} x", 'unexpected "x" after the value at 1:8'],
    ["/* never closed", "unterminated /* comment at 1:1"],
    ["", "unexpected the end of the file, expected a value at 1:1"],
  ])("refuses %j", (text, message) => {
    expect(() => parseJson5(text)).toThrow(message);
  });

  it("keeps a __proto__ key as a field", () => {
    const parsed = parseJson5("{__proto__: {polluted: true}}") as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual(["__proto__"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
