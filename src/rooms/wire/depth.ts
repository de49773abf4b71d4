/**
 * What every value on the wire must keep to, whatever the codec, checked without recursion:
 * - nesting: JSON.parse and the MessagePack decoder take any depth, but what follows them recurses (JSON.stringify,
 *   the MessagePack encoder, canonical JSON, patches) and overflows the stack on a frame nested a few thousand deep:
 *   one ~20 KB frame would end the process;
 * - no `__proto__` key: JSON.parse makes it an own key, but a MessagePack decoder refuses it, so a state or message
 *   holding one reaches JSON clients and never MessagePack ones.
 * Browser-safe.
 */

/** Deepest nesting of arrays and objects a client's frame may carry, the envelope itself counted (`{"p":{…}}` is 2). */
export const MAX_FRAME_DEPTH = 64;

/** Deepest nesting of a room's state and of what its logic sends; an envelope around it adds at most a few levels. */
export const MAX_STATE_DEPTH = 128;

/** Deepest nesting the MessagePack encoder is let write: any state or message, in any envelope. */
export const MAX_ENCODED_DEPTH = MAX_STATE_DEPTH + 16;

/** Which rule `value` breaks first: nesting deeper than `maxDepth`, or (unless `protoKeys` is false) a `__proto__` key. */
export function shapeProblemOf(value: unknown, maxDepth: number, { protoKeys = true } = {}): "depth" | "proto" | undefined {
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 1 }];
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop()!;
    if (typeof current !== "object" || current === null || ArrayBuffer.isView(current)) continue;
    if (depth > maxDepth) return "depth";
    if (protoKeys && !Array.isArray(current) && Object.hasOwn(current, "__proto__")) return "proto";
    for (const child of Array.isArray(current) ? current : Object.values(current)) {
      if (typeof child === "object" && child !== null) stack.push({ value: child, depth: depth + 1 });
    }
  }
  return undefined;
}

/** Whether `value` nests arrays and objects deeper than `max` (whatever its keys). */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  return shapeProblemOf(value, max, { protoKeys: false }) === "depth";
}

/** What keeps `value` off the wire (too deep, a `__proto__` key), said for an error, or `undefined`. */
export function wireShapeProblem(value: unknown, maxDepth: number): string | undefined {
  const problem = shapeProblemOf(value, maxDepth);
  if (problem === "depth") return `nests deeper than ${maxDepth} levels of arrays and objects`;
  return problem === "proto" ? 'holds the key "__proto__", which MessagePack clients cannot read' : undefined;
}
