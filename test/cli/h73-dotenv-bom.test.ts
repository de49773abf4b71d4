/** A .env saved with a UTF-8 byte order mark (Notepad, Windows PowerShell): its first variable was silently dropped. */
import { describe, expect, it } from "vitest";
import { parseDotenv } from "../../src/cli/config/dotenv.js";

describe(".env with a byte order mark", () => {
  it("keeps its first variable", () => {
    expect(parseDotenv("\ufeffFIRST=1\nSECOND=2\n")).toEqual({ FIRST: "1", SECOND: "2" });
    expect(parseDotenv("\ufeffexport TOKEN='a b'\r\n")).toEqual({ TOKEN: "a b" });
  });
});
