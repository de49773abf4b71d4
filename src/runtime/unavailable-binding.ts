/**
 * The Cloudflare bindings yparty does not have (Workers AI, Vectorize, R2, KV), as party code meets them in
 * `room.context` and the lobbies. Reading one works as on PartyKit (`new Ai(room.context.ai)`, `lobby.vectorize.docs`
 * wire up), and the first call through it throws a BindingUnavailableError naming what is missing and what to do
 * instead: an empty stub failed deep inside the client library ("this.binding.fetch is not a function").
 */
import { inspect } from "node:util";

/** What a binding is and what to use on yparty instead, for its error. */
export interface MissingBinding {
  readonly what: string;
  readonly instead: string;
}

export class BindingUnavailableError extends Error {
  override readonly name = "BindingUnavailableError";
  readonly code = "ERR_BINDING_UNAVAILABLE";
  constructor(call: string, binding: MissingBinding) {
    super(`${call} was called, but ${binding.what} is a Cloudflare binding that yparty (on Node) does not have. ${binding.instead}`);
  }
}

/** Keys the language and Node read on any value (await, JSON, printing): they must not throw or look like a method. */
function isProbe(key: string | symbol): boolean {
  return typeof key === "symbol" || key === "then" || key === "toJSON";
}

/**
 * Every property of a binding and of what it returns is another stand-in, so a chain of any depth
 * (`ai.binding.fetch`, `vectorize.docs.query`, `bindings.kv.CACHE.get`) fails at its call, named in the error.
 */
function standIn<T extends object>(target: T, path: string, binding: MissingBinding): T {
  const label = `[${path}: ${binding.what} is not available on yparty]`;
  const describe = () => label;
  Object.defineProperty(target, inspect.custom, { value: describe }); // console.log(room.context) reads the target
  return new Proxy(target, {
    get: (_target, key) => {
      if (key === Symbol.toPrimitive || key === "toString") return describe; // `${lobby.ai}`, String(binding)
      return isProbe(key) ? undefined : standIn(() => {}, `${path}.${String(key)}`, binding);
    },
    apply: function refuse() {
      const error = new BindingUnavailableError(`${path}()`, binding);
      Error.captureStackTrace(error, refuse); // the stack starts at the user's call, not in this trap
      throw error;
    },
  });
}

/** A binding named `path` in errors (e.g. `ai`): an object, as on PartyKit, whose calls throw. */
export function unavailableBinding(path: string, binding: MissingBinding): Record<string, never> {
  return standIn({}, path, binding) as Record<string, never>;
}

const asVar = "with its key passed as a var (--var KEY=VALUE or a line in .env, read as room.env.KEY; lobby.env in static hooks)";

export const missingBindings = {
  ai: {
    what: "Workers AI (room.context.ai, lobby.ai)",
    instead: `Call your model provider's HTTP API with fetch() (OpenAI, Anthropic, or Cloudflare's Workers AI REST API) ${asVar}.`,
  },
  vectorize: {
    what: "Vectorize (room.context.vectorize, lobby.vectorize)",
    instead: `Query a vector database over the network (PostgreSQL with pgvector, or Vectorize's REST API) ${asVar}.`,
  },
  r2: {
    what: "R2 (context.bindings.r2)",
    instead: `Use an S3-compatible store (R2 answers the S3 API) through its client or fetch() ${asVar}, or files on disk.`,
  },
  kv: {
    what: "Workers KV (context.bindings.kv)",
    instead: "Use room.storage (kept by yparty for each room) or a database reached over the network, its credentials passed as vars.",
  },
} satisfies Record<string, MissingBinding>;
