/**
 * Room and document names in PostgreSQL `text` columns. `text` cannot hold NUL, and a lone surrogate (valid in a
 * JavaScript string) would be stored as U+FFFD, merging two names: such code units, and the escape character itself,
 * are written as U+FFFE followed by their four hex digits. Every other name is stored as it is, readable by operators.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is exactly what `text` cannot hold
const escaped = /[\u0000\uFFFE]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const ESCAPE = "\uFFFE";

export function toText(name: string): string {
  return name.replace(escaped, (unit) => ESCAPE + unit.charCodeAt(0).toString(16).padStart(4, "0"));
}

export function fromText(text: string): string {
  return text.includes(ESCAPE) ? text.replace(/\uFFFE([0-9a-f]{4})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))) : text;
}
