import type { Awareness } from "y-protocols/awareness";
import type { Identity } from "./identity.js";

interface UserState {
  name?: unknown;
  color?: unknown;
}

/** Everyone in the room, from awareness: a coloured dot and a name; you are marked. */
export function renderPresence(list: HTMLElement, awareness: Awareness): () => void {
  const render = () => {
    const people = [...awareness.getStates()].flatMap(([clientId, state]) => {
      const user = (state as { user?: UserState }).user;
      return user && typeof user.name === "string" ? [{ clientId, name: user.name, color: typeof user.color === "string" ? user.color : "#888888" }] : [];
    });
    people.sort((a, b) => Number(b.clientId === awareness.clientID) - Number(a.clientId === awareness.clientID) || a.name.localeCompare(b.name));
    list.replaceChildren(
      ...people.map(({ clientId, name, color }) => {
        const item = document.createElement("li");
        item.dataset.clientId = String(clientId);
        const dot = document.createElement("span");
        dot.className = "dot";
        dot.style.background = color;
        item.append(dot, document.createTextNode(clientId === awareness.clientID ? `${name} (you)` : name));
        return item;
      }),
    );
  };
  awareness.on("change", render);
  render();
  return () => awareness.off("change", render);
}

/** Publishes your name and colour: Tiptap's carets and CodeMirror's both read the `user` field. */
export function publishIdentity(awareness: Awareness, identity: Identity): void {
  awareness.setLocalStateField("user", { name: identity.name, color: identity.color, colorLight: identity.colorLight });
}
