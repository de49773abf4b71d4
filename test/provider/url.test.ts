import { describe, expect, it } from "vitest";
import { ACK_PARAM } from "../../src/protocol/index.js";
import { connectionUrl, isLocalHost, normalizeHost, resolveParams, serverUrl } from "../../provider/url.js";
import * as Y from "yjs";
import { ProviderError } from "../../provider/errors.js";
import { YPartyKitProvider } from "../../provider/index.js";

describe("provider URLs", () => {
  it('refuses a room a URL cannot carry as a path segment (empty, ".", "..") with an error naming it; odd names that travel are fine', () => {
    const doc = new Y.Doc();
    for (const room of ["", ".", ".."]) {
      expect(() => new YPartyKitProvider("127.0.0.1:1", room, doc, { connect: false })).toThrow(`a room cannot be named ${JSON.stringify(room)}`);
    }
    for (const room of ["a/b", "50%", "?x", "#h", "...", "%2e%2e", "é😀"]) new YPartyKitProvider("127.0.0.1:1", room, doc, { connect: false }).destroy();
  });

  it("strips a scheme and trailing slashes from the host", () => {
    expect(normalizeHost("https://example.com/")).toBe("example.com");
    expect(normalizeHost("wss://example.com//")).toBe("example.com");
    expect(normalizeHost("localhost:1999")).toBe("localhost:1999");
  });

  it("uses ws for loopback and private ranges, wss elsewhere", () => {
    for (const host of ["localhost:1999", "127.0.0.1:80", "10.1.2.3", "192.168.0.4:1999", "172.16.0.1", "172.31.9.9:1", "[::1]:1999"]) {
      expect(isLocalHost(host), host).toBe(true);
      expect(serverUrl(host, {}).startsWith("ws://"), host).toBe(true);
    }
    for (const host of ["example.com", "172.32.0.1", "172.15.0.1", "8.8.8.8", "192.169.0.1"]) {
      expect(isLocalHost(host), host).toBe(false);
      expect(serverUrl(host, {}).startsWith("wss://"), host).toBe(true);
    }
    expect(serverUrl("example.com", { protocol: "ws" })).toBe("ws://example.com/parties/main");
  });

  it("builds /parties/{party} or uses a prefix as the whole path", () => {
    expect(serverUrl("https://a.example/", { party: "docs" })).toBe("wss://a.example/parties/docs");
    expect(serverUrl("a.example", { prefix: "/custom/room-1" })).toBe("wss://a.example/custom/room-1");
  });

  it("puts _pk first, skips null params and opts in to durable acks", () => {
    const url = new URL(connectionUrl("ws://h/parties/main/r", "abc", { token: "t 1", empty: null, gone: undefined }, true));
    expect([...url.searchParams.keys()]).toEqual(["_pk", "token", ACK_PARAM]);
    expect(url.searchParams.get("token")).toBe("t 1");
    expect(url.searchParams.get(ACK_PARAM)).toBe("1");
    expect(new URL(connectionUrl("ws://h/x", "abc", undefined, false)).search).toBe("?_pk=abc");
  });

  it("resolves params objects, sync and async functions, and wraps failures with a code", async () => {
    expect(await resolveParams({ a: "1" })).toEqual({ a: "1" });
    expect(await resolveParams(() => ({ a: "2" }))).toEqual({ a: "2" });
    expect(await resolveParams(async () => ({ a: "3" }))).toEqual({ a: "3" });
    const failure = await resolveParams(async () => {
      throw new Error("token service down");
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ProviderError);
    expect((failure as ProviderError).code).toBe("ERR_PARAMS");
    expect((failure as ProviderError).message).toContain("token service down");
  });
});
