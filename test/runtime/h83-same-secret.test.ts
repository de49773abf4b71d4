/**
 * The admin token, the cluster's shared secret and the runtime's internal socket token are compared in time that
 * tells nothing of them: before, a length mismatch returned at once (timingSafeEqual throws on one), so how long a
 * refusal took said how long the token is. Timing cannot be measured reliably from outside; what is checked here is
 * the mechanism: every comparison is timingSafeEqual of two 32-byte digests, whatever the lengths given.
 */
import type { IncomingMessage } from "node:http";
import { describe, expect, it, vi } from "vitest";

const compared = vi.hoisted(() => [] as Array<[number, number]>);
vi.mock("node:crypto", async (original) => {
  const crypto = await original<typeof import("node:crypto")>();
  const timingSafeEqual = (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
    compared.push([a.byteLength, b.byteLength]);
    return crypto.timingSafeEqual(a, b);
  };
  return { ...crypto, default: { ...crypto, timingSafeEqual }, timingSafeEqual };
});

const { tokenMatches } = await import("../../src/cli/admin/token.js");
const { ClusterPlacement } = await import("../../src/cluster/placement.js");
const { CLUSTER_HEADER } = await import("../../src/cluster/forward.js");
const { silentLogger } = await import("../../src/runtime/index.js");

const TOKEN = "h83-admin-token-0123456789abcdef";

describe("secret comparisons", () => {
  it("the admin token: right, wrong, shorter, longer, empty and missing all compare 32-byte digests", () => {
    compared.length = 0;
    const answers = [`Bearer ${TOKEN}`, `Bearer ${TOKEN.slice(0, -1)}x`, "Bearer h83", `Bearer ${TOKEN}${TOKEN}`, "Bearer ", `bearer ${TOKEN}`].map((header) =>
      tokenMatches(header, TOKEN),
    );
    expect(answers).toEqual([true, false, false, false, false, true]);
    expect(tokenMatches(null, TOKEN)).toBe(false);
    // "Bearer " has no token at all: nothing to compare.
    expect(compared).toEqual(Array(5).fill([32, 32]));
  });

  it("the cluster's shared secret on a forwarded request compares 32-byte digests too", () => {
    const placement = new ClusterPlacement({ secret: "cluster-secret-0123456789", logger: silentLogger() } as never);
    const forwarded = (value: string) => ({ headers: { [CLUSTER_HEADER]: value } }) as unknown as IncomingMessage;
    compared.length = 0;
    expect(
      ["cluster-secret-0123456789", "cluster-secret-012345678x", "c", "cluster-secret-0123456789-and-more"].map((value) =>
        placement.isForwarded(forwarded(value)),
      ),
    ).toEqual([true, false, false, false]);
    expect(compared).toEqual(Array(4).fill([32, 32]));
  });
});
