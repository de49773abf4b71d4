import type { Awareness } from "y-protocols/awareness";
import type { Identity } from "./identity.js";

/** The room's editors by the name their panel carries in `data-editor`, with the label people see. */
const editorLabels: Record<string, string> = { richText: "Rich text", code: "Code" };

interface Person {
  clientId: number;
  name: string;
  color: string;
  /** The editor this person is in (a key of `editorLabels`), if any. */
  editor: string | undefined;
  isYou: boolean;
}

/** Everyone in the room who has published a name, from awareness: you first, then by name. */
function peopleIn(awareness: Awareness): Person[] {
  const people = [...awareness.getStates()].flatMap(([clientId, state]): Person[] => {
    const user = state.user as { name?: unknown; color?: unknown } | undefined;
    if (!user || typeof user.name !== "string") return [];
    const color = typeof user.color === "string" ? user.color : "#888888";
    const editor = typeof state.editor === "string" && Object.hasOwn(editorLabels, state.editor) ? state.editor : undefined;
    return [{ clientId, name: user.name, color, editor, isYou: clientId === awareness.clientID }];
  });
  return people.sort((a, b) => Number(b.isYou) - Number(a.isYou) || a.name.localeCompare(b.name));
}

const displayName = (person: Person) => (person.isYou ? `${person.name} (you)` : person.name);

/** "Ada Lovelace" → "AL", "Ada" → "Ad": enough to tell Ada from Alan. */
function initials(name: string): string {
  const [first = "", second] = name.trim().split(/\s+/);
  const letters = second ? [...first][0] + [...second][0] : [...first].slice(0, 2).join("") || "?";
  return letters.charAt(0).toUpperCase() + letters.slice(1);
}

/** A round badge in the person's colour with their initials; the full name in the tooltip. */
function avatar(person: Person): HTMLElement {
  const element = document.createElement("span");
  element.className = "avatar";
  element.style.background = person.color;
  element.textContent = initials(person.name);
  element.title = displayName(person);
  return element;
}

/** Past this many people in one editor, its stack shows one avatar fewer and "+N" for the rest. */
const maxAvatars = 5;

function stackOf(people: Person[]): HTMLElement[] {
  if (people.length <= maxAvatars) return people.map(avatar);
  const rest = people.slice(maxAvatars - 1);
  const more = document.createElement("span");
  more.className = "avatar more";
  more.textContent = `+${rest.length}`;
  more.title = rest.map(displayName).join(", ");
  return [...people.slice(0, maxAvatars - 1).map(avatar), more];
}

/**
 * Who is here: the list of everyone (with the editor each is in), and on each editor's panel a stack of the
 * avatars of the people in it. `stacks` are elements with `data-avatars` naming their editor.
 */
export function renderPresence(list: HTMLElement, stacks: Iterable<HTMLElement>, awareness: Awareness): () => void {
  const render = () => {
    const people = peopleIn(awareness);
    list.replaceChildren(
      ...people.map((person) => {
        const item = document.createElement("li");
        const where = document.createElement("span");
        where.className = "muted";
        where.textContent = person.editor ? `in ${editorLabels[person.editor]}` : "";
        item.append(avatar(person), displayName(person), where);
        return item;
      }),
    );
    for (const stack of stacks) stack.replaceChildren(...stackOf(people.filter((person) => person.editor === stack.dataset.avatars)));
  };
  awareness.on("change", render);
  render();
  return () => awareness.off("change", render);
}

/** Publishes your name and colour: Tiptap's carets and CodeMirror's both read the `user` field. */
export function publishIdentity(awareness: Awareness, identity: Identity): void {
  awareness.setLocalStateField("user", { name: identity.name, color: identity.color, colorLight: identity.colorLight });
}

/** Publishes which editor you are in (`editor`): the `data-editor` panel that holds the focus, or none. */
export function publishFocusedEditor(awareness: Awareness): void {
  document.addEventListener("focusin", (event) => {
    const panel = event.target instanceof Element ? event.target.closest<HTMLElement>("[data-editor]") : null;
    const editor = panel?.dataset.editor ?? null;
    // Unchanged states are still broadcast: send only changes.
    if ((awareness.getLocalState()?.editor ?? null) !== editor) awareness.setLocalStateField("editor", editor);
  });
}
