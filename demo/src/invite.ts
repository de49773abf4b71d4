const copiedForMs = 2_000;

/** "Copy invite link": puts `link` on the clipboard and says "Copied" for a moment. */
export function mountInvite(button: HTMLButtonElement, link: string): void {
  const label = button.textContent;
  let restore: ReturnType<typeof setTimeout> | undefined;
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(link);
    } catch {
      // No clipboard (a page on plain http from another machine, or permission denied): copy by hand.
      window.prompt("Copy this link and send it to whoever you want to invite:", link);
      return;
    }
    button.textContent = "Copied";
    clearTimeout(restore);
    restore = setTimeout(() => (button.textContent = label), copiedForMs);
  });
}
