/** What the demo page exposes (`window.yparty`) and readers of it, for the browser tests of the demo. */
import type { Page } from "playwright-core";

export interface DemoWindow {
  yparty: {
    doc: import("yjs").Doc;
    provider: import("../../provider/index.js").YPartyKitProvider;
    richText: { getText(): string; getHTML(): string };
    code: { state: { doc: { toString(): string } } };
  };
}

/** What each editor holds (its own state, not the DOM, which also shows the other people's caret labels). */
export const richText = (page: Page) => page.evaluate(() => (window as unknown as DemoWindow).yparty.richText.getText());
export const richHtml = (page: Page) => page.evaluate(() => (window as unknown as DemoWindow).yparty.richText.getHTML());
export const code = (page: Page) => page.evaluate(() => (window as unknown as DemoWindow).yparty.code.state.doc.toString());
