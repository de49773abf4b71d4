/**
 * Real headless Chromium for the provider: esbuild bundles a page entry for the browser platform, a tiny
 * HTTP server on 127.0.0.1 serves it, and playwright-core drives Debian's chromium.
 */
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import { chromium, type Browser, type Page } from "playwright-core";
import { listen, type TestHttpServer } from "./support.js";

const here = path.dirname(fileURLToPath(import.meta.url));

export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** `backForwardCache`: let pages into it (playwright turns it off by default so that goBack always loads). */
export function launchChromium(options: { backForwardCache?: boolean } = {}): Promise<Browser> {
  const ignoreDefaultArgs = options.backForwardCache ? ["--disable-back-forward-cache"] : [];
  return chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS, ignoreDefaultArgs });
}

/** Bundles `browser/{entry}` as one browser script (development React, so StrictMode double-runs effects). */
export async function bundlePage(entry: string): Promise<string> {
  const result = await esbuild.build({
    entryPoints: [path.join(here, "browser", entry)],
    bundle: true,
    platform: "browser",
    format: "iife",
    write: false,
    jsx: "automatic",
    define: { "process.env.NODE_ENV": '"development"' },
    logLevel: "silent",
  });
  return result.outputFiles[0]!.text;
}

/** Serves `/` (an empty page loading `/page.js`) and `/page.js`. */
export async function servePage(script: string): Promise<TestHttpServer & { url: string }> {
  const server = http.createServer((req, res) => {
    if (req.url === "/page.js") {
      res.writeHead(200, { "content-type": "text/javascript" }).end(script);
    } else if (req.url === "/" || req.url?.startsWith("/?")) {
      res.writeHead(200, { "content-type": "text/html" }).end('<!doctype html><meta charset="utf-8"><div id="app"></div><script src="/page.js"></script>');
    } else {
      res.writeHead(404).end();
    }
  });
  const listening = await listen(server);
  return { ...listening, url: `http://${listening.host}/` };
}

const errorsOf = new WeakMap<Page, string[]>();

/** Opens the page, recording its uncaught errors for `pageErrors`. */
export async function openPage(browser: Browser | import("playwright-core").BrowserContext, url: string): Promise<Page> {
  const page = await browser.newPage();
  const errors: string[] = [];
  errorsOf.set(page, errors);
  page.on("pageerror", (error) => errors.push(error.message));
  await page.goto(url);
  return page;
}

export const pageErrors = (page: Page): string[] => errorsOf.get(page) ?? [];
