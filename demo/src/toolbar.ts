import type { ChainedCommands, Editor } from "@tiptap/core";
import { yUndoPluginKey } from "@tiptap/y-tiptap";

/** A toolbar button: what it does, and (for toggles) whether it is on at the caret. */
interface Tool {
  name: string;
  label: string;
  run: (chain: ChainedCommands) => ChainedCommands;
  isActive?: (editor: Editor) => boolean;
  canRun?: (editor: Editor) => boolean;
}

/** A mark or block that the button turns on and off; `type` and `attributes` are what `isActive` looks for. */
function toggle(name: string, label: string, run: Tool["run"], type: string, attributes?: Record<string, unknown>): Tool {
  return { name, label, run, isActive: (editor) => editor.isActive(type, attributes) };
}

const groups: Tool[][] = [
  [
    toggle("Bold", "B", (chain) => chain.toggleBold(), "bold"),
    toggle("Italic", "I", (chain) => chain.toggleItalic(), "italic"),
    toggle("Strikethrough", "S", (chain) => chain.toggleStrike(), "strike"),
    toggle("Inline code", "</>", (chain) => chain.toggleCode(), "code"),
  ],
  [
    toggle("Heading 1", "H1", (chain) => chain.toggleHeading({ level: 1 }), "heading", { level: 1 }),
    toggle("Heading 2", "H2", (chain) => chain.toggleHeading({ level: 2 }), "heading", { level: 2 }),
    toggle("Heading 3", "H3", (chain) => chain.toggleHeading({ level: 3 }), "heading", { level: 3 }),
  ],
  [
    toggle("Bullet list", "•", (chain) => chain.toggleBulletList(), "bulletList"),
    toggle("Numbered list", "1.", (chain) => chain.toggleOrderedList(), "orderedList"),
    toggle("Quote", "❝", (chain) => chain.toggleBlockquote(), "blockquote"),
    toggle("Code block", "{ }", (chain) => chain.toggleCodeBlock(), "codeBlock"),
  ],
  [
    // Collaboration's undo/redo: a Y.UndoManager that undoes only your own changes, never the others'.
    { name: "Undo", label: "↶", run: (chain) => chain.undo(), canRun: (editor) => editor.can().undo() },
    { name: "Redo", label: "↷", run: (chain) => chain.redo(), canRun: (editor) => editor.can().redo() },
  ],
];

function buttonFor(tool: Tool, editor: Editor): HTMLButtonElement {
  const button = document.createElement("button");
  button.type = "button";
  button.textContent = tool.label;
  button.title = tool.name;
  button.setAttribute("aria-label", tool.name);
  // Keep the focus (and the selection) in the editor.
  button.addEventListener("mousedown", (event) => event.preventDefault());
  button.addEventListener("click", () => tool.run(editor.chain().focus()).run());
  return button;
}

/** Fills `toolbar` with formatting buttons for `editor`; pressed and disabled states follow every transaction. */
export function mountToolbar(toolbar: HTMLElement, editor: Editor): void {
  const buttons = new Map<Tool, HTMLButtonElement>();
  toolbar.replaceChildren(
    ...groups.map((tools) => {
      const group = document.createElement("span");
      group.className = "group";
      for (const tool of tools) {
        const button = buttonFor(tool, editor);
        buttons.set(tool, button);
        group.append(button);
      }
      return group;
    }),
  );
  const render = () => {
    for (const [tool, button] of buttons) {
      if (tool.isActive) button.setAttribute("aria-pressed", String(tool.isActive(editor)));
      if (tool.canRun) button.disabled = !tool.canRun(editor);
    }
  };
  editor.on("transaction", render);
  // Undo and Redo follow the undo manager's stacks, which change after the transaction an undo makes: without these,
  // Redo stayed disabled after an Undo until the next transaction.
  const undoManager = yUndoPluginKey.getState(editor.state)?.undoManager;
  undoManager?.on("stack-item-added", render);
  undoManager?.on("stack-item-popped", render);
  render();
}
