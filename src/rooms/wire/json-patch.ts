/**
 * RFC 6902 JSON Patch: `diff(before, after)` gives the ops that turn one JSON value into the other (add, remove,
 * replace; arrays compared index by index, growing or shrinking at the end), `applyPatch` applies any RFC 6902
 * patch to a value it may mutate and returns the result. Values are plain JSON. Browser-safe.
 */
export type JsonPatchOp =
  | { op: "add" | "replace" | "test"; path: string; value: unknown }
  | { op: "remove"; path: string }
  | { op: "move" | "copy"; from: string; path: string };

export class JsonPatchError extends Error {
  override readonly name = "JsonPatchError";
}

export function escapePointerToken(token: string): string {
  return token.includes("~") || token.includes("/") ? token.replace(/~/g, "~0").replace(/\//g, "~1") : token;
}

function unescapeToken(token: string): string {
  return token.replace(/~1/g, "/").replace(/~0/g, "~");
}

export function diff(before: unknown, after: unknown, path = "", ops: JsonPatchOp[] = []): JsonPatchOp[] {
  if (before === after) return ops;
  if (isObject(before) && isObject(after)) {
    for (const key of Object.keys(before)) {
      if (!Object.hasOwn(after, key)) ops.push({ op: "remove", path: `${path}/${escapePointerToken(key)}` });
    }
    for (const key of Object.keys(after)) {
      const child = `${path}/${escapePointerToken(key)}`;
      if (!Object.hasOwn(before, key)) ops.push({ op: "add", path: child, value: after[key] });
      else diff(before[key], after[key], child, ops);
    }
    return ops;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const common = Math.min(before.length, after.length);
    for (let i = 0; i < common; i++) diff(before[i], after[i], `${path}/${i}`, ops);
    for (let i = before.length - 1; i >= common; i--) ops.push({ op: "remove", path: `${path}/${i}` });
    for (let i = common; i < after.length; i++) ops.push({ op: "add", path: `${path}/${i}`, value: after[i] });
    return ops;
  }
  if (typeof before === "number" && typeof after === "number" && Number.isNaN(before) && Number.isNaN(after)) return ops;
  ops.push({ op: "replace", path, value: after });
  return ops;
}

export function applyPatch(document: unknown, ops: readonly JsonPatchOp[]): unknown {
  let root = document;
  for (const op of ops) root = applyOp(root, op);
  return root;
}

function applyOp(root: unknown, op: JsonPatchOp): unknown {
  switch (op.op) {
    case "add":
      return write(root, op.path, clone(op.value), "add");
    case "replace":
      return write(root, op.path, clone(op.value), "replace");
    case "remove":
      return write(root, op.path, undefined, "remove");
    case "test":
      if (!deepEqual(read(root, op.path), op.value)) throw new JsonPatchError(`test failed at "${op.path}"`);
      return root;
    case "copy":
      return write(root, op.path, clone(read(root, op.from)), "add");
    case "move": {
      const value = read(root, op.from);
      return write(write(root, op.from, undefined, "remove"), op.path, value, "add");
    }
    default:
      throw new JsonPatchError(`unknown op "${(op as { op: unknown }).op}"`);
  }
}

function tokens(path: string): string[] {
  if (path === "") return [];
  if (!path.startsWith("/")) throw new JsonPatchError(`"${path}" is not a JSON pointer`);
  return path.slice(1).split("/").map(unescapeToken);
}

function read(root: unknown, path: string): unknown {
  let node = root;
  for (const token of tokens(path)) {
    if (Array.isArray(node)) node = node[arrayIndex(token, node.length - 1)];
    else if (isObject(node) && Object.hasOwn(node, token)) node = node[token];
    else throw new JsonPatchError(`"${path}" does not exist`);
  }
  return node;
}

function write(root: unknown, path: string, value: unknown, mode: "add" | "replace" | "remove"): unknown {
  const parts = tokens(path);
  if (parts.length === 0) {
    if (mode === "remove") throw new JsonPatchError("cannot remove the whole document");
    return value;
  }
  const last = parts.pop()!;
  const parent = read(
    root,
    parts
      .map(escapePointerToken)
      .map((t) => `/${t}`)
      .join(""),
  );
  if (Array.isArray(parent)) {
    if (mode === "add") {
      parent.splice(last === "-" ? parent.length : arrayIndex(last, parent.length), 0, value);
    } else {
      const index = arrayIndex(last, parent.length - 1);
      if (mode === "remove") parent.splice(index, 1);
      else parent[index] = value;
    }
  } else if (isObject(parent)) {
    if (mode !== "add" && !Object.hasOwn(parent, last)) throw new JsonPatchError(`"${path}" does not exist`);
    if (mode === "remove") delete parent[last];
    // defineProperty: a "__proto__" key is data, never the prototype.
    else Object.defineProperty(parent, last, { value, writable: true, enumerable: true, configurable: true });
  } else {
    throw new JsonPatchError(`the parent of "${path}" is not a container`);
  }
  return root;
}

function arrayIndex(token: string, max: number): number {
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw new JsonPatchError(`"${token}" is not an array index`);
  const index = Number(token);
  if (index > max) throw new JsonPatchError(`index ${index} is out of range`);
  return index;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A deep copy of a JSON value. */
export function clone<T>(value: T): T {
  return value === null || typeof value !== "object" ? value : (JSON.parse(JSON.stringify(value)) as T);
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && deepEqual(a[key], b[key]));
  }
  return false;
}
