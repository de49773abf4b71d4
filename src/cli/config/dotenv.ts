/**
 * The `.env` format as dotenv reads it: `KEY=value`, optional `export `, single/double/back quotes
 * (double quotes expand \n), `#` comments on their own line or after an unquoted value.
 */
export function parseDotenv(text: string): Record<string, string> {
  const result: Record<string, string> = {};
  const line = /^\s*(?:export\s+)?([\w.-]+)\s*=\s*("(?:\\.|[^"\\])*"|'[^']*'|`[^`]*`|[^\n#]*?)\s*(?:#.*)?$/;
  for (const raw of text.split(/\r?\n/)) {
    const match = line.exec(raw);
    if (!match) continue;
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
