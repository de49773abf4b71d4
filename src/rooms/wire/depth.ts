/**
 * How deeply a decoded frame nests. JSON.parse and the MessagePack decoder take any depth, but everything after them
 * that recurses (JSON.stringify, the MessagePack encoder, canonical JSON, patches) overflows the stack on a frame
 * nested a few thousand deep: one ~20 KB frame would end the process. Frames are checked right after decoding.
 * Browser-safe.
 */

/** Deepest nesting of arrays and objects a client's frame may carry, the envelope itself counted (`{"p":{…}}` is 2). */
export const MAX_FRAME_DEPTH = 64;

/** Whether `value` nests arrays and objects deeper than `max` (iterative: any depth is measured safely). */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 1 }];
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop()!;
    if (typeof current !== "object" || current === null || ArrayBuffer.isView(current)) continue;
    if (depth > max) return true;
    for (const child of Array.isArray(current) ? current : Object.values(current)) {
      if (typeof child === "object" && child !== null) stack.push({ value: child, depth: depth + 1 });
    }
  }
  return false;
}
