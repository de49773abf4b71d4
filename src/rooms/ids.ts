import { randomBytes } from "node:crypto";

/** A random URL-safe id (session ids, generated room names). */
export function newId(bytes: number): string {
  return randomBytes(bytes).toString("base64url");
}
