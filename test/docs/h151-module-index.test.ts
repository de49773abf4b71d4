/**
 * docs/modules.md ("Where each concern lives") is generated from the source files' header comments: it must be what
 * the generator makes of the sources now, and every source file must have a header for it to show.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { firstSentence, moduleIndex, sourceFiles } from "../../scripts/module-index.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

describe("docs/modules.md", () => {
  it("is what scripts/module-index.mjs makes of the sources", () => {
    const written = readFileSync(path.join(root, "docs", "modules.md"), "utf8");
    expect(written, "docs/modules.md is out of date: run npm run docs:modules").toBe(moduleIndex(root));
  });

  it("has a header comment to show for every source file", () => {
    const missing = sourceFiles(root)
      .filter(({ header }) => header === undefined)
      .map(({ file }) => file);
    expect(missing, "these files start with no /** header comment saying what the module owns").toEqual([]);
  });

  it("shows a header's first sentence whole, not cut at a file name, an abbreviation or a parenthesis", () => {
    expect(firstSentence("Reads `a.ts. b` (see x.ts. y) and\nfile.ts, e.g. this. Then more.")).toBe("Reads `a.ts. b` (see x.ts. y) and file.ts, e.g. this.");
    expect(firstSentence("What goes where:\n- one;\n- two.")).toBe("What goes where: …");
    expect(firstSentence("No stop in the first paragraph\n\nSecond one.")).toBe("No stop in the first paragraph");
  });
});
