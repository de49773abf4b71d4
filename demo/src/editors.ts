import { javascript } from "@codemirror/lang-javascript";
import { Prec } from "@codemirror/state";
import { keymap, placeholder } from "@codemirror/view";
import { Editor } from "@tiptap/core";
import Collaboration from "@tiptap/extension-collaboration";
import CollaborationCaret from "@tiptap/extension-collaboration-caret";
import { Placeholder } from "@tiptap/extensions";
import StarterKit from "@tiptap/starter-kit";
import { basicSetup, EditorView } from "codemirror";
import { yCollab, yUndoManagerKeymap } from "y-codemirror.next";
import * as Y from "yjs";
import type { YPartyKitProvider } from "yparty/provider";
import type { Identity } from "./identity.js";

/** The shared types of a demo room (their names are what the JSON export shows). */
export const shared = {
  richText: "prosemirror",
  code: "code",
  chat: "chat",
} as const;

/**
 * Tiptap on the room's XmlFragment, with everyone's carets. Yjs owns undo (Collaboration's `undo`/`redo`
 * commands and Mod-Z), so StarterKit's history is off.
 */
export function mountRichText(element: HTMLElement, provider: YPartyKitProvider, identity: Identity): Editor {
  return new Editor({
    element,
    extensions: [
      StarterKit.configure({ undoRedo: false }),
      Collaboration.configure({ document: provider.doc, field: shared.richText }),
      CollaborationCaret.configure({ provider, user: { name: identity.name, color: identity.color } }),
      Placeholder.configure({ placeholder: "Write something…" }),
    ],
    editorProps: { attributes: { "aria-label": "Rich text", spellcheck: "false" } },
  });
}

/**
 * CodeMirror on the room's Y.Text; y-codemirror.next draws remote cursors from awareness (`user` field). Yjs owns undo
 * here too: Mod-Z goes to the Y.UndoManager, which undoes only this user's changes. yCollab does not bind it, and
 * basicSetup's own history (which records everyone's changes) took Mod-Z: one user's undo removed another's text.
 */
export function mountCode(element: HTMLElement, provider: YPartyKitProvider): EditorView {
  const text = provider.doc.getText(shared.code);
  const undoManager = new Y.UndoManager(text);
  return new EditorView({
    parent: element,
    extensions: [
      Prec.high(keymap.of(yUndoManagerKeymap)),
      basicSetup,
      javascript(),
      placeholder("// Code goes here"),
      yCollab(text, provider.awareness, { undoManager }),
    ],
  });
}
