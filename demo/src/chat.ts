import type * as Y from "yjs";
import type { Identity } from "./identity.js";

export interface ChatMessage {
  name: string;
  color: string;
  text: string;
  /** Milliseconds since the epoch, from the sender's clock. */
  at: number;
}

const maxMessages = 200;
const maxLength = 500;

/** A chat on a Y.Array: append-only, the oldest messages trimmed past `maxMessages`. */
export function mountChat(log: HTMLElement, form: HTMLFormElement, input: HTMLInputElement, messages: Y.Array<ChatMessage>, me: () => Identity): void {
  const render = () => {
    log.replaceChildren(
      ...messages.toArray().map((message) => {
        const item = document.createElement("li");
        const who = document.createElement("strong");
        who.style.color = message.color;
        who.textContent = message.name;
        const time = document.createElement("time");
        time.textContent = new Date(message.at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
        item.append(who, " ", document.createTextNode(message.text), " ", time);
        return item;
      }),
    );
    log.scrollTop = log.scrollHeight;
  };
  messages.observe(render);
  render();
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim().slice(0, maxLength);
    if (!text) return;
    const { name, color } = me();
    messages.doc!.transact(() => {
      messages.push([{ name, color, text, at: Date.now() }]);
      if (messages.length > maxMessages) messages.delete(0, messages.length - maxMessages);
    });
    input.value = "";
  });
}
