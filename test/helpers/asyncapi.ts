/**
 * An AsyncAPI document of the repository read by the real parser (@asyncapi/parser), and what the protocol tests
 * check of it: its errors, and the message names of each direction (seen from the server: the client's messages are
 * `receive` operations, the server's `send`).
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { DiagnosticSeverity, Parser, type AsyncAPIDocumentInterface, type MessagesInterface, type OperationInterface } from "@asyncapi/parser";
import { repoRoot } from "../cli/helpers.js";

export interface ParsedAsyncApi {
  document: AsyncAPIDocumentInterface | undefined;
  /** "path: message" of every error the parser found. */
  errors: string[];
}

export async function parseAsyncApi(file: string): Promise<ParsedAsyncApi> {
  const text = await readFile(path.join(repoRoot, file), "utf8");
  const { document, diagnostics } = await new Parser().parse(text);
  return { document, errors: diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error).map((d) => `${d.path.join(".")}: ${d.message}`) };
}

/** The names of every message, and of those the server sends and receives. */
export function messageNames(document: AsyncAPIDocumentInterface): { all: Set<string>; sent: Set<string>; received: Set<string> } {
  const named = (messages: MessagesInterface) => messages.all().map((message) => message.name() ?? "(no name)");
  const names = (operations: OperationInterface[]) => new Set(operations.flatMap((operation) => named(operation.messages())));
  return {
    all: new Set(named(document.allMessages())),
    sent: names(document.operations().filterBySend()),
    received: names(document.operations().filterByReceive()),
  };
}
