/**
 * A tiny structural validator for config files: enough to say "file: field: expected X, got Y" for every
 * mistake at once, without a schema library.
 */
import { closest } from "../suggest.js";
export type Shape =
  | { kind: "string" | "number" | "boolean" | "null" | "any" }
  | { kind: "enum"; values: readonly string[] }
  | { kind: "array"; of: Shape }
  | { kind: "record"; of: Shape }
  | { kind: "object"; fields: Record<string, Shape>; label?: string; loose?: boolean }
  | { kind: "union"; of: Shape[] };

export const str: Shape = { kind: "string" };
export const num: Shape = { kind: "number" };
export const bool: Shape = { kind: "boolean" };
export const nul: Shape = { kind: "null" };
export const any: Shape = { kind: "any" };
export const arrayOf = (of: Shape): Shape => ({ kind: "array", of });
export const recordOf = (of: Shape): Shape => ({ kind: "record", of });
export const oneOf = (...of: Shape[]): Shape => ({ kind: "union", of });
export const enumOf = (...values: string[]): Shape => ({ kind: "enum", values });
export const object = (fields: Record<string, Shape>, label?: string): Shape => ({
  kind: "object",
  fields,
  ...(label ? { label } : {}),
});
/** An object whose unknown fields are reported as `ignored`, not refused: zod's default, which PartyKit keeps for `serve`. */
export const looseObject = (fields: Record<string, Shape>, label?: string): Shape => ({
  kind: "object",
  fields,
  ...(label ? { label } : {}),
  loose: true,
});

/** "a string", "an object of strings", "a string or an array of strings". */
export function describe(shape: Shape): string {
  switch (shape.kind) {
    case "string":
    case "number":
    case "boolean":
      return `a ${shape.kind}`;
    case "null":
      return "null";
    case "any":
      return "any value";
    case "enum":
      return `one of ${shape.values.map((value) => JSON.stringify(value)).join(", ")}`;
    case "array":
      return `an array of ${plural(shape.of)}`;
    case "record":
      return shape.of.kind === "any" ? "an object" : `an object of ${plural(shape.of)}`;
    case "object":
      return shape.label ?? `an object with ${Object.keys(shape.fields).join(", ")}`;
    case "union":
      return shape.of.map(describe).join(" or ");
  }
}

function plural(shape: Shape): string {
  return describe(shape).replace(/^an? (\w+)/, "$1s");
}

/** What a JSON value is, for "got …" in messages. */
export function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  return `${typeof value === "string" ? "the string" : `the ${typeof value}`} ${JSON.stringify(value)}`;
}

export interface ShapeProblem {
  /** Dotted path of the field, e.g. `serve.singlePageApp`. */
  field: string;
  message: string;
  /** An unknown field of a loose object: noted, not refused. */
  ignored?: true;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function matchesScalar(shape: Shape, value: unknown): boolean {
  switch (shape.kind) {
    case "any":
      return true;
    case "null":
      return value === null;
    case "string":
    case "number":
    case "boolean":
      return typeof value === shape.kind && !(shape.kind === "number" && !Number.isFinite(value));
    case "enum":
      return typeof value === "string" && shape.values.includes(value);
    case "array":
      return Array.isArray(value);
    case "record":
    case "object":
      return isPlainObject(value);
    case "union":
      return shape.of.some((member) => matchesScalar(member, value));
  }
}

/** Every problem in `value` against `shape`; `[]` when it fits. */
export function check(shape: Shape, value: unknown, field: string): ShapeProblem[] {
  if (shape.kind === "union") {
    const member = shape.of.find((candidate) => matchesScalar(candidate, value));
    return member ? check(member, value, field) : [{ field, message: `expected ${describe(shape)}, got ${kindOf(value)}` }];
  }
  if (!matchesScalar(shape, value)) return [{ field, message: `expected ${describe(shape)}, got ${kindOf(value)}` }];
  const at = (key: string) => (field ? `${field}.${key}` : key);
  if (shape.kind === "array") return (value as unknown[]).flatMap((item, index) => check(shape.of, item, `${field}[${index}]`));
  if (shape.kind === "record") {
    return Object.entries(value as Record<string, unknown>).flatMap(([key, item]) => check(shape.of, item, at(key)));
  }
  if (shape.kind === "object") {
    return Object.entries(value as Record<string, unknown>).flatMap(([key, item]) => {
      const fieldShape = shape.fields[key];
      if (!fieldShape) {
        if (shape.loose) return [{ field: at(key), message: "unknown field, ignored", ignored: true }];
        const known = Object.keys(shape.fields);
        const guess = closest(key, known);
        return [{ field: at(key), message: `unknown field${guess ? `; did you mean "${guess}"?` : ""} (expected one of: ${known.join(", ")})` }];
      }
      return check(fieldShape, item, at(key));
    });
  }
  return [];
}
