/**
 * JSON with comments and trailing commas (what partykit.json / .jsonc users write). Comments and trailing
 * commas are blanked out (keeping offsets, so JSON.parse positions still point into the file), then JSON.parse.
 */
export function stripJsonComments(text: string): string {
  const out = text.split("");
  // A UTF-8 byte order mark (Notepad, Windows PowerShell's UTF8) is no JSON: blanked like a comment.
  if (out[0] === "\ufeff") out[0] = " ";
  let inString = false;
  /** The last character outside strings and comments that is not blank: a comma right after `{`, `[` or `,` is no trailing comma. */
  let previous = "";
  for (let i = 0; i < out.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === "\\") i++;
      else if (ch === '"') {
        inString = false;
        previous = '"';
      }
      continue;
    }
    if (ch === '"') {
      inString = true;
    } else if (ch === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") out[i++] = " ";
    } else if (ch === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      const stop = end === -1 ? text.length : end + 2;
      for (; i < stop; i++) if (text[i] !== "\n") out[i] = " ";
      i--;
    } else if (ch === ",") {
      // A comma after a value, followed only by blanks (or blanked comments) and a closing bracket, is a trailing comma.
      const rest = /^[\s]*(?:\/\/[^\n]*\n[\s]*|\/\*[\s\S]*?\*\/[\s]*)*[}\]]/.exec(text.slice(i + 1));
      if (rest && !"{[,".includes(previous)) out[i] = " ";
      previous = ",";
    } else if (ch !== undefined && !/\s/.test(ch)) {
      previous = ch;
    }
  }
  return out.join("");
}

/** 1-based line and column of a character offset, for error messages: lines end as editors end them (\n, \r\n, \r). */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split(/\r\n|\r|\n/);
  return { line: before.length, column: before[before.length - 1]!.length + 1 };
}
