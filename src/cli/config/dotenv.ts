/**
 * The `.env` format as dotenv reads it: `KEY=value`, optional `export `, single/double/back quotes
 * (double quotes expand \n), `#` comments on their own line or after an unquoted value; a quoted value may span
 * lines (a PEM key), as dotenv's does.
 */
export function parseDotenv(text: string): Record<string, string> {
  const result: Record<string, string> = {};
  const entry = /^[ \t]*(?:export[ \t]+)?([\w.-]+)[ \t]*=[ \t]*("(?:\\.|[^"\\])*"|'[^']*'|`[^`]*`|[^\n#]*?)[ \t]*(?:#[^\n]*)?$/gm;
  // A UTF-8 byte order mark (Notepad, Windows PowerShell) would make the first name invalid, and the line dropped.
  for (const match of text
    .replace(/^\ufeff/, "")
    .replace(/\r\n?/g, "\n")
    .matchAll(entry)) {
    const [, key, value = ""] = match;
    const quote = value[0];
    if (quote === '"')
      result[key!] = value
        .slice(1, -1)
        .replace(/\\n/g, "\n")
        .replace(/\\(["\\])/g, "$1");
    else if (quote === "'" || quote === "`") result[key!] = value.slice(1, -1);
    else result[key!] = value;
  }
  return result;
}
