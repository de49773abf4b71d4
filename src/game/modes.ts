/**
 * Matchmaking modes: how many players a match of the mode takes, which `defineMatch` runs it, and the rules two
 * tickets' properties must meet to play together. Rules may widen with the wait (`within`), so a ticket nobody fits
 * now may fit later: the mode's matchmaker checks again every `recheckMs` while tickets wait.
 */
import type { WaitingTicket } from "../rooms/matchmaking.js";

export type TicketProperties = Record<string, string | number | boolean>;

export interface Ticket extends WaitingTicket {
  ticket_id: string;
  properties: TicketProperties;
}

/** Whether tickets `a` and `b` may play together, `now` being the time of the check. */
export type MatchRule = (a: Ticket, b: Ticket, now: number) => boolean;

export interface ModeDefinition {
  /** Players per match (2–100). */
  size: number;
  /** The name of the match (a key of `createGame({ matches })`) a group of this mode plays. */
  match: string;
  /** Every rule must hold for every pair of a group. */
  rules?: readonly MatchRule[];
  /** How often waiting tickets are matched again (rules that widen with the wait). Default 1000 ms. */
  recheckMs?: number;
}

export const DEFAULT_RECHECK_MS = 1000;

/** Both tickets have the same value of `property` (e.g. a region). */
export function same(property: string): MatchRule {
  return (a, b) => a.properties[property] === b.properties[property];
}

/**
 * Numbers of `property` (e.g. skill) at most `window` apart; the window widens by `widenPerSecond` for each second
 * the longer waiting ticket of the two has waited, up to `maxWindow`. A ticket without the number fits nobody.
 */
export function within(property: string, options: { window: number; widenPerSecond?: number; maxWindow?: number }): MatchRule {
  const { window, widenPerSecond = 0, maxWindow = Infinity } = options;
  return (a, b, now) => {
    const x = a.properties[property];
    const y = b.properties[property];
    if (typeof x !== "number" || typeof y !== "number") return false;
    const waited = (now - Math.min(a.since, b.since)) / 1000;
    return Math.abs(x - y) <= Math.min(maxWindow, window + widenPerSecond * waited);
  };
}

const MAX_PROPERTIES = 32;
const MAX_PROPERTY_NAME = 64;

/**
 * Ticket properties: at most 32, each named by 1–64 characters and a string (≤ 256 characters), finite number or
 * boolean. Throws the reason.
 */
export function checkProperties(value: unknown): TicketProperties {
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new TypeError("payload.properties must be an object");
  const entries = Object.entries(value);
  if (entries.length > MAX_PROPERTIES) throw new TypeError(`payload.properties: at most ${MAX_PROPERTIES} properties`);
  for (const [key, property] of entries) {
    if (key.length === 0 || key.length > MAX_PROPERTY_NAME)
      throw new TypeError(`payload.properties: a property name has 1 to ${MAX_PROPERTY_NAME} characters (got ${key.length})`);
    const ok =
      typeof property === "boolean" || (typeof property === "number" && Number.isFinite(property)) || (typeof property === "string" && property.length <= 256);
    if (!ok) throw new TypeError(`payload.properties.${key} must be a string, a finite number or a boolean`);
  }
  return value as TicketProperties;
}
