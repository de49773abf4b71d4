/** Who you are in the demo: a name and a colour, kept in localStorage so a reload keeps them. */
export interface Identity {
  name: string;
  /** `#rrggbb`: Tiptap's caret only accepts six-digit hex colours. */
  color: string;
  /** The same colour, translucent, for remote selections in CodeMirror. */
  colorLight: string;
}

const palette = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#008080", "#9a6324", "#800000", "#000075", "#f032e6"];
const firstNames = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Margaret", "Ken", "Radia", "Leslie"];
const storageKey = "yparty-demo-identity";

function pick<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)]!;
}

function withLight(name: string, color: string): Identity {
  return { name, color, colorLight: `${color}33` };
}

export function loadIdentity(): Identity {
  try {
    const saved = JSON.parse(localStorage.getItem(storageKey) ?? "null") as Partial<Identity> | null;
    if (saved && typeof saved.name === "string" && typeof saved.color === "string" && /^#[0-9a-f]{6}$/i.test(saved.color)) {
      return withLight(saved.name, saved.color);
    }
  } catch {
    // A corrupt entry: make a new identity.
  }
  const identity = withLight(pick(firstNames), pick(palette));
  saveIdentity(identity);
  return identity;
}

export function saveIdentity(identity: Identity): void {
  localStorage.setItem(storageKey, JSON.stringify({ name: identity.name, color: identity.color }));
}

export function rename(identity: Identity, name: string): Identity {
  const next = withLight(name.trim().slice(0, 40) || identity.name, identity.color);
  saveIdentity(next);
  return next;
}
