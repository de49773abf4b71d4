/**
 * Connection ids: random (version 4) UUIDs, as PartyKit's `crypto.randomUUID()`, written straight into one flat
 * string. `randomUUID()` builds its string from 14 concatenated pieces (~450 bytes kept while the connection lives
 * unless flattened, ~900 bytes made per connect with the flattening); this makes the 36 characters and nothing else.
 */
import { randomFillSync } from "node:crypto";

/** Random bytes for this many ids are drawn at once (as Node's own `randomUUID` does). */
const IDS_PER_DRAW = 128;
const random = Buffer.alloc(16 * IDS_PER_DRAW);
let nextId = IDS_PER_DRAW;
const text = Buffer.alloc(36);
const HEX = Buffer.from("0123456789abcdef", "latin1");

export function newConnectionId(): string {
  if (nextId === IDS_PER_DRAW) {
    randomFillSync(random);
    nextId = 0;
  }
  const at = 16 * nextId++;
  random[at + 6] = (random[at + 6]! & 0x0f) | 0x40; // version 4
  random[at + 8] = (random[at + 8]! & 0x3f) | 0x80; // RFC 4122 variant
  let out = 0;
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) text[out++] = 0x2d; // "-"
    const byte = random[at + i]!;
    text[out++] = HEX[byte >> 4]!;
    text[out++] = HEX[byte & 0x0f]!;
  }
  return text.toString("latin1");
}
