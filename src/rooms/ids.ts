/**
 * Random URL-safe ids (session ids, generated room names), one helper for the rooms and the game protocols.
 */
import { randomBytes } from "node:crypto";

/** A random URL-safe id (session ids, generated room names). */
export function newId(bytes: number): string {
  return randomBytes(bytes).toString("base64url");
}
