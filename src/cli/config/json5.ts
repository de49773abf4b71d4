/**
 * JSON5 (https://spec.json5.org), what `partykit.json5` holds: comments, unquoted keys, single-quoted strings,
 * trailing commas, hex numbers, `+1`, `.5`, `5.`, `Infinity`, `NaN`, escaped line breaks in strings.
 * A small parser of our own: yparty does not depend on the `json5` package.
 */
import { lineColumn } from "./jsonc.js";

/** A JSON5 syntax error at `line`:`column` (1-based) of the text. */
export class Json5SyntaxError extends SyntaxError {
  constructor(
    readonly reason: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`${reason} at ${line}:${column}`);
  }
}

const singleEscapes: Record<string, string> = { b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v", "0": "\0" };
/** JSON5's white space: ECMAScript's WhiteSpace and LineTerminator. */
const blank = /[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]/;
/** ECMAScript 5.1's IdentifierName, which JSON5 keys follow: letters (and Nl), `$`, `_`; then also marks, digits, connectors, ZWNJ, ZWJ. */
const identifierStart = /^[\p{L}\p{Nl}$_]$/u;
const identifierPart = /^[\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}$_\u200c\u200d]$/u;
/** Deeper nesting is refused (with a syntax error, not a stack overflow): no config needs it. */
const maxDepth = 1000;
const lineBreak = /[\n\r\u2028\u2029]/;

export function parseJson5(text: string): unknown {
  let at = 0;
  let depth = 0;
  /** The character (a whole code point) at `offset`, "" at the end. */
  const charAt = (offset: number) => {
    const code = text.codePointAt(offset);
    return code === undefined ? "" : String.fromCodePoint(code);
  };

  const fail = (reason: string, offset = at): never => {
    const { line, column } = lineColumn(text, offset);
    throw new Json5SyntaxError(reason, line, column);
  };
  const describe = (offset = at) => (offset >= text.length ? "the end of the file" : JSON.stringify(charAt(offset)));

  function skipBlanksAndComments(): void {
    while (at < text.length) {
      const ch = text[at]!;
      if (blank.test(ch)) at++;
      else if (ch === "/" && text[at + 1] === "/") {
        while (at < text.length && !lineBreak.test(text[at]!)) at++;
      } else if (ch === "/" && text[at + 1] === "*") {
        const end = text.indexOf("*/", at + 2);
        if (end === -1) fail("unterminated /* comment");
        at = end + 2;
      } else return;
    }
  }

  function value(): unknown {
    skipBlanksAndComments();
    const ch = text[at];
    if (ch === "{" || ch === "[") {
      if (++depth > maxDepth) fail(`nested more than ${maxDepth} deep`);
      const result = ch === "{" ? object() : array();
      depth--;
      return result;
    }
    if (ch === '"' || ch === "'") return string();
    if (ch !== undefined && /[-+.\dIN]/.test(ch)) return number();
    for (const [word, result] of [
      ["true", true],
      ["false", false],
      ["null", null],
    ] as const) {
      if (text.startsWith(word, at) && !identifierPart.test(charAt(at + word.length))) {
        at += word.length;
        return result;
      }
    }
    return fail(`unexpected ${describe()}, expected a value`);
  }

  function object(): Record<string, unknown> {
    const result: Record<string, unknown> = {};
    at++; // {
    for (;;) {
      skipBlanksAndComments();
      if (text[at] === "}") {
        at++;
        return result;
      }
      const key = text[at] === '"' || text[at] === "'" ? string() : identifier();
      skipBlanksAndComments();
      if (text[at] !== ":") fail(`unexpected ${describe()}, expected ":" after the key ${JSON.stringify(key)}`);
      at++;
      // defineProperty: a "__proto__" key is an ordinary field, as in JSON.parse.
      Object.defineProperty(result, key, { value: value(), enumerable: true, writable: true, configurable: true });
      if (!separator("}")) return result;
    }
  }

  function array(): unknown[] {
    const result: unknown[] = [];
    at++; // [
    for (;;) {
      skipBlanksAndComments();
      if (text[at] === "]") {
        at++;
        return result;
      }
      result.push(value());
      if (!separator("]")) return result;
    }
  }

  /** After a member: a comma (true: more may follow) or the closing bracket (consumed; false). */
  function separator(close: "}" | "]"): boolean {
    skipBlanksAndComments();
    if (text[at] === ",") {
      at++;
      return true;
    }
    if (text[at] === close) {
      at++;
      return false;
    }
    return fail(`unexpected ${describe()}, expected "," or "${close}"`);
  }

  function identifier(): string {
    let name = "";
    const start = at;
    for (;;) {
      const first = name === "";
      const here = at;
      let ch = charAt(at);
      if (ch === "\\") {
        if (text[at + 1] !== "u") fail('expected "\\u" in a key');
        at += 2;
        ch = String.fromCharCode(hexDigits(4));
        // An escape stands for a character the name could hold unescaped (as in JavaScript): `\u0020` is no key.
        if (!(first ? identifierStart : identifierPart).test(ch)) fail(`${JSON.stringify(text.slice(here, at))} is not a character a key can hold`, here);
      } else if ((first ? identifierStart : identifierPart).test(ch)) {
        at += ch.length;
      } else break;
      name += ch;
    }
    if (name === "") fail(`unexpected ${describe(start)}, expected a key (a name or a quoted string) or "}"`, start);
    return name;
  }

  function hexDigits(count: number): number {
    const digits = text.slice(at, at + count);
    if (!new RegExp(`^[0-9a-fA-F]{${count}}$`).test(digits)) fail(`expected ${count} hexadecimal digits`);
    at += count;
    return Number.parseInt(digits, 16);
  }

  function string(): string {
    const quote = text[at++];
    let result = "";
    for (;;) {
      const ch = text[at];
      if (ch === undefined) fail("unterminated string");
      if (ch === quote) {
        at++;
        return result;
      }
      if (ch === "\n" || ch === "\r") fail("line break in a string (end the line with \\ to continue it)");
      at++;
      if (ch !== "\\") {
        result += ch;
        continue;
      }
      const escaped = text[at++];
      if (escaped === undefined) fail("unterminated string");
      else if (escaped === "x") result += String.fromCharCode(hexDigits(2));
      else if (escaped === "u") result += String.fromCharCode(hexDigits(4));
      else if (escaped === "\r")
        at += text[at] === "\n" ? 1 : 0; // an escaped line break continues the string
      else if (escaped === "\n" || escaped === "\u2028" || escaped === "\u2029") continue;
      else if (escaped === "0" && /\d/.test(text[at] ?? "")) fail("octal escapes are not allowed", at - 1);
      else if (/[1-9]/.test(escaped)) fail("octal escapes are not allowed", at - 1);
      else result += singleEscapes[escaped] ?? escaped;
    }
  }

  function number(): number {
    const start = at;
    const match = /^[-+]?(?:Infinity|NaN|0[xX][0-9a-fA-F]+|(?:(?:0|[1-9]\d*)(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)/.exec(text.slice(at));
    if (!match || identifierPart.test(charAt(at + match[0].length))) return fail(`unexpected ${describe(start)}, expected a value`, start);
    at += match[0].length;
    const literal = match[0];
    const sign = literal[0] === "-" ? -1 : 1;
    const unsigned = /^[-+]/.test(literal) ? literal.slice(1) : literal;
    if (/^0[xX]/.test(unsigned)) return sign * Number.parseInt(unsigned.slice(2), 16);
    return sign * Number(unsigned);
  }

  const result = value();
  skipBlanksAndComments();
  if (at < text.length) fail(`unexpected ${describe()} after the value`);
  return result;
}
