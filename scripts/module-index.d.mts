/** The source folders, in the order a reader meets them, each with its doc page under docs/. */
export declare const FOLDERS: ReadonlyArray<{ dir: string; doc: string }>;
/** A source file's leading `/** … *\/` block as plain text; `undefined` when the file does not start with one. */
export declare function headerOf(text: string): string | undefined;
/** The header's first sentence, whole (a list or indented block it leads into left out, marked `…`). */
export declare function firstSentence(header: string): string;
/** Text for a markdown table cell: `|` escaped, and `<` and `*` outside code spans. */
export declare function cellText(text: string): string;
/** Every source file under src/, persistence/, provider/, rooms-client/, game-client/, with its header. */
export declare function sourceFiles(root: string): Array<{ file: string; header: string | undefined }>;
/** docs/modules.md as it should read for the sources under `root`. */
export declare function moduleIndex(root: string): string;
