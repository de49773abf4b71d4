/**
 * The yparty demo page: one room, two editors (Tiptap rich text with a toolbar, and CodeMirror code) on one
 * Y.Doc, live cursors, who is here and in which editor, an invite link, a chat, and a truthful save indicator.
 * The provider comes from `yparty/provider`, as in your own project (`y-partykit/provider` works too: yparty's
 * bundler maps it to the same module); never from a path into yparty's sources, which the package does not ship.
 */
import * as Y from "yjs";
import { YPartyKitProvider } from "yparty/provider";
import { mountChat, type ChatMessage } from "./chat.js";
import { mountCode, mountRichText, shared } from "./editors.js";
import { loadIdentity, rename } from "./identity.js";
import { mountInvite } from "./invite.js";
import { publishFocusedEditor, publishIdentity, renderPresence } from "./presence.js";
import { renderRoomList, roomFromUrl, roomHref, suggestRoomName, usableRoomName } from "./room-picker.js";
import { showConnection, showSaveStatus } from "./status.js";
import { mountToolbar } from "./toolbar.js";

function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`The page has no #${id}`);
  return element as T;
}

function openRoom(room: string): void {
  let identity = loadIdentity();
  const doc = new Y.Doc();
  const provider = new YPartyKitProvider(location.host, room, doc, { party: "main" });
  byId("room-name").textContent = room;
  document.title = `${room} · yparty demo`;
  const exportLink = byId<HTMLAnchorElement>("export-link");
  exportLink.href = `/parties/main/${encodeURIComponent(room)}`;
  showConnection(byId("connection"), provider);
  showSaveStatus(byId("saved"), provider);
  mountInvite(byId("invite"), new URL(roomHref(room), location.href).href);

  const richText = mountRichText(byId("tiptap"), provider, identity);
  mountToolbar(byId("toolbar"), richText);
  const code = mountCode(byId("codemirror"), provider);
  publishIdentity(provider.awareness, identity);
  publishFocusedEditor(provider.awareness);
  renderPresence(byId("people"), document.querySelectorAll<HTMLElement>("[data-avatars]"), provider.awareness);
  mountChat(byId("chat-log"), byId("chat-form"), byId("chat-input"), doc.getArray<ChatMessage>(shared.chat), () => identity);

  const nameInput = byId<HTMLInputElement>("name-input");
  nameInput.value = identity.name;
  nameInput.addEventListener("change", () => {
    identity = rename(identity, nameInput.value);
    nameInput.value = identity.name;
    richText.commands.updateUser({ name: identity.name, color: identity.color });
    publishIdentity(provider.awareness, identity);
  });
  // For the browser test and for poking around in the console.
  Object.assign(window, { yparty: { doc, provider, richText, code } });
}

function showPicker(): void {
  const input = byId<HTMLInputElement>("new-room");
  input.value = suggestRoomName();
  byId<HTMLFormElement>("new-room-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const room = usableRoomName(input.value);
    if (room) location.search = roomHref(room);
  });
  void renderRoomList(byId("room-list"));
}

const room = roomFromUrl();
byId("room-bar").hidden = room === undefined;
byId("room-view").hidden = room === undefined;
byId("picker").hidden = room !== undefined;
if (room !== undefined) openRoom(room);
else showPicker();
