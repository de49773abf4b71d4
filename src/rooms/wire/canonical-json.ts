/**
 * RFC 8785 (JSON Canonicalization Scheme): object keys sorted by their UTF-16 code units, no whitespace, numbers
 * and strings as ECMAScript's JSON.stringify writes them (which is what the RFC specifies). Browser-safe.
 * Written as one appending walk: it runs over the whole state after every patch (for the checksum).
 */
export function canonicalJson(value: unknown): string {
  return write(value, "");
}

function write(value: unknown, out: string): string {
  switch (typeof value) {
    case "string":
      return out + JSON.stringify(value);
    case "number":
      if (!Number.isFinite(value)) throw new TypeError(`${value} has no JSON form`);
      return out + String(value); // ECMAScript's Number::toString, as JSON.stringify (-0 gives "0")
    case "boolean":
      return out + (value ? "true" : "false");
    case "object": {
      if (value === null) return `${out}null`;
      if (Array.isArray(value)) {
        out += "[";
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ",";
          const item: unknown = value[i];
          out = item === undefined ? `${out}null` : write(item, out);
        }
        return `${out}]`;
      }
      // The default sort compares UTF-16 code units, as the RFC asks.
      const keys = Object.keys(value).sort();
      out += "{";
      let first = true;
      for (const key of keys) {
        const item = (value as Record<string, unknown>)[key];
        if (item === undefined) continue;
        out += first ? `${JSON.stringify(key)}:` : `,${JSON.stringify(key)}:`;
        first = false;
        out = write(item, out);
      }
      return `${out}}`;
    }
    default:
      throw new TypeError(`A ${typeof value} has no JSON form`);
  }
}
