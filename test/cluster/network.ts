/**
 * A TCP proxy on loopback between one yparty node and an engine (or another node), to make the network faults of the
 * cluster tests for one node only: a partition (bytes stop, connections hang) or dropped connections.
 *
 *   startTcpProxy(targetPort) → TcpProxy { port, partition(), holdReplies(), heal(), reset(), heldBytes, whenHeld(n), close() }
 *     partition(): nothing flows either way and new connections are accepted but not connected onward; what is sent
 *       meanwhile is held in the proxy, as a partition drops packets that TCP sends again later. No side is told.
 *     holdReplies(): requests still reach the target, what it answers is held (a command runs, its reply is late or,
 *       after reset(), never comes).
 *     heal(): held bytes are delivered in order, new connections are connected, and bytes flow again.
 *     reset(): every open connection is destroyed (both sides see ECONNRESET), as a middlebox or a reboot does.
 *     whenHeld(n): resolves once at least n bytes are held (a request has reached the partition) — no sleeps.
 *     slow(ms): every byte is delivered `ms` later, each way (a distant or congested link; order kept); slow(0) ends it.
 *   closeAllProxies() — closes every proxy still open (afterEach).
 * Not modelled: a connection one side closes during a partition is closed on the other side at once (engines do not
 * close idle connections by themselves, so the tests do not meet it).
 */
import { connect, createServer, type Server, type Socket } from "node:net";

export interface TcpProxy {
  readonly port: number;
  /** Bytes sent into the partition and not yet delivered. */
  readonly heldBytes: number;
  partition(): void;
  holdReplies(): void;
  heal(): void;
  reset(): void;
  whenHeld(bytes: number): Promise<void>;
  slow(ms: number): void;
  close(): Promise<void>;
}

/** One direction of one connection: where its bytes go, and what waits for heal(). */
interface Pipe {
  to: Socket;
  held: Buffer[];
  /** From the target back to the client (held by holdReplies() too). */
  reply?: boolean;
}

const proxies = new Set<TcpProxy>();

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const connections = new Set<{ client: Socket; upstream?: Socket; pipes: Pipe[]; open(): void }>();
  const heldWaiters: Array<{ bytes: number; resolve(): void }> = [];
  let partitioned = false;
  let repliesHeld = false;
  let heldBytes = 0;
  let latencyMs = 0;

  const hold = (pipe: Pipe, chunk: Buffer) => {
    pipe.held.push(chunk);
    heldBytes += chunk.length;
    for (const waiter of [...heldWaiters]) {
      if (heldBytes >= waiter.bytes) {
        heldWaiters.splice(heldWaiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };
  // Timers of one duration fire in the order they were set: a slow link keeps the bytes' order.
  const deliver = (pipe: Pipe, chunk: Buffer) => (latencyMs > 0 ? setTimeout(() => pipe.to.write(chunk), latencyMs) : pipe.to.write(chunk));
  const forward = (from: Socket, pipe: Pipe) =>
    from.on("data", (chunk: Buffer) => (partitioned || (repliesHeld && pipe.reply) || pipe.held.length > 0 ? hold(pipe, chunk) : deliver(pipe, chunk)));

  const server: Server = createServer((client) => {
    const connection = {
      client,
      upstream: undefined as Socket | undefined,
      pipes: [] as Pipe[],
      // Connects onward (at once, or at heal() for a connection made during a partition).
      open() {
        const upstream = connect(targetPort, "127.0.0.1");
        connection.upstream = upstream;
        const toUpstream: Pipe = { to: upstream, held: early.held };
        connection.pipes = [toUpstream, { to: client, held: [], reply: true }];
        client.off("data", holdEarly);
        forward(client, toUpstream);
        forward(upstream, connection.pipes[1]!);
        upstream.on("error", () => client.destroy());
        upstream.on("close", () => client.destroy());
        if (!partitioned) flush(toUpstream);
      },
    };
    // Bytes a client sends before its onward connection exists.
    const early: Pipe = { to: client, held: [] };
    const holdEarly = (chunk: Buffer) => hold(early, chunk);
    client.on("data", holdEarly);
    client.on("error", () => connection.upstream?.destroy());
    client.on("close", () => {
      connection.upstream?.destroy();
      connections.delete(connection);
    });
    connections.add(connection);
    if (!partitioned) connection.open();
  });

  const flush = (pipe: Pipe) => {
    for (const chunk of pipe.held.splice(0)) {
      heldBytes -= chunk.length;
      pipe.to.write(chunk);
    }
  };

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const proxy: TcpProxy = {
    port: (server.address() as { port: number }).port,
    get heldBytes() {
      return heldBytes;
    },
    partition: () => {
      partitioned = true;
    },
    holdReplies: () => {
      repliesHeld = true;
    },
    heal: () => {
      partitioned = false;
      repliesHeld = false;
      for (const connection of connections) {
        if (!connection.upstream) connection.open();
        else for (const pipe of connection.pipes) flush(pipe);
      }
    },
    reset: () => {
      for (const { client, upstream } of connections) {
        client.resetAndDestroy();
        upstream?.resetAndDestroy();
      }
      heldBytes = 0;
    },
    slow: (ms) => {
      latencyMs = ms;
    },
    whenHeld: (bytes) => (heldBytes >= bytes ? Promise.resolve() : new Promise((resolve) => heldWaiters.push({ bytes, resolve }))),
    close: async () => {
      proxies.delete(proxy);
      proxy.reset();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  proxies.add(proxy);
  return proxy;
}

export async function closeAllProxies(): Promise<void> {
  await Promise.all([...proxies].map((proxy) => proxy.close()));
}
