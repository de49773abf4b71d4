/**
 * Binary modules in server code, as on PartyKit: `import mod from "./x.wasm"` (or `"./x.wasm?module"`) is a
 * compiled `WebAssembly.Module`, `import data from "./x.bin"` an ArrayBuffer, and in `yparty dev` a new .wasm
 * file reloads the server like any input.
 */
import { rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { deferredCleanups, serveIn, tempDir } from "./helpers.js";

const defer = deferredCleanups(afterEach);

const i32Add = 0x6a;
const i32Sub = 0x6b;

/** The smallest module exporting `calc(a: i32, b: i32): i32`, computing `a <op> b`. */
function calcModule(op: number): Uint8Array {
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], // "\0asm", version 1
    ...[0x01, 0x07, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f], // types: (i32, i32) -> i32
    ...[0x03, 0x02, 0x01, 0x00], // functions: one, of type 0
    ...[0x07, 0x08, 0x01, 0x04, 0x63, 0x61, 0x6c, 0x63, 0x00, 0x00], // exports: "calc" = function 0
    ...[0x0a, 0x09, 0x01, 0x07, 0x00, 0x20, 0x00, 0x20, 0x01, op, 0x0b], // code: local.get 0, local.get 1, op, end
  ]);
}

const server = `
import calcModule from "./calc.wasm";
import sameModule from "./calc.wasm?module";
import table from "./table.bin";

type Calc = { calc(a: number, b: number): number };

export default class Calculator {
  onRequest(request: Request): Response {
    const url = new URL(request.url);
    const { calc } = new WebAssembly.Instance(calcModule).exports as unknown as Calc;
    return Response.json({
      result: calc(Number(url.searchParams.get("a")), Number(url.searchParams.get("b"))),
      isModule: calcModule instanceof WebAssembly.Module && sameModule instanceof WebAssembly.Module,
      table: table instanceof ArrayBuffer ? [...new Uint8Array(table)] : String(table),
    });
  }
}
`;

describe("binary modules in server code", () => {
  it("imports a .wasm file as a WebAssembly.Module and a .bin file as an ArrayBuffer; dev reloads when one changes", async () => {
    const { dir, remove } = await tempDir("yparty-wasm-");
    defer(remove);
    await writeFile(path.join(dir, "calc.wasm"), calcModule(i32Add));
    await writeFile(path.join(dir, "table.bin"), new Uint8Array([0, 7, 255]));
    await writeFile(path.join(dir, "server.ts"), server);
    const { cli, url } = await serveIn(defer, "dev", dir, ["server.ts", "--no-persist"]);
    expect(await (await fetch(`${url}/parties/main/math?a=2&b=3`)).json()).toEqual({ result: 5, isModule: true, table: [0, 7, 255] });

    const mark = cli.output.length;
    await writeFile(path.join(dir, ".calc.wasm.tmp"), calcModule(i32Sub));
    await rename(path.join(dir, ".calc.wasm.tmp"), path.join(dir, "calc.wasm"));
    await cli.waitFor(/dev\.reloaded/, 15_000, mark);
    expect(await (await fetch(`${url}/parties/main/math?a=2&b=3`)).json()).toEqual({ result: -1, isModule: true, table: [0, 7, 255] });
  });
});
