/**
 * Notices a connection that went silent without a close event (sleeping laptop, dropped NAT entry). After
 * `probeAfterMs` of silence it sends a probe the server must answer; a probe unanswered for
 * `deadAfterMs - probeAfterMs`, counted from when what was sent before it would be through on the slowest uplink
 * allowed for (the server reads all of it before it answers), gives up on the socket. The probe keeps a lone client on a quiet room from being
 * dropped for mere silence, also when the check itself runs late: a hidden tab's repeating timers run once a minute
 * in Chrome, so the first look may see a minute of silence on a healthy socket. Silence alone never kills it.
 * When the network under the socket changed (the browser went offline or came back), `checkSoon` probes at once and
 * gives the answer a short while: a stalled socket is then noticed in seconds, not after the silence timeout. A socket
 * with an upload going out shows it is alive sooner than the server can answer (it reads the whole upload first): bytes
 * its send queue held back at the change leave after it (send-queue.ts). Such a socket keeps its upload, and from then
 * on its probe waits as a silence probe does; one where nothing leaves is given up all the same.
 */
import { ProviderDefaults } from "./defaults.js";
import type { SendQueueState } from "./send-queue.js";

export interface WatchdogHooks {
  lastReceived(): number;
  /**
   * How many frames arrived so far: a probe is answered by a frame after it. Not by time: a frame that came in the
   * millisecond the probe went out (as a frame does just before the network drops) would answer it, and the socket
   * would be kept, stalled, for the silence timeout.
   */
  framesReceived(): number;
  /** When everything sent so far would be through on the slowest uplink allowed for (SocketConnection). */
  slowestUploadDoneAt(): number;
  /** The socket's send queue: what it held back at a network change must leave for the socket to show it is alive. */
  sendQueue(): SendQueueState;
  probe(): void;
  dead(reason: string): void;
}

/** The send queue when the network changed, some of it held back (at its head): how much it held, and had sent. */
interface Backlog {
  queued: number;
  sentBefore: number;
}

export interface WatchdogTiming {
  probeAfterMs: number;
  deadAfterMs: number;
  intervalMs: number;
}

const defaultTiming: WatchdogTiming = {
  probeAfterMs: ProviderDefaults.probeAfterSilenceMs,
  deadAfterMs: ProviderDefaults.deadAfterSilenceMs,
  intervalMs: ProviderDefaults.watchdogIntervalMs,
};

export class Watchdog {
  #timer: ReturnType<typeof setInterval> | undefined;
  /** The `checkSoon` deadline's look. */
  #soon: ReturnType<typeof setTimeout> | undefined;
  /**
   * The unanswered probe: when it went out, when it is given up, and why. A silence probe waits `deadAfterMs -
   * probeAfterMs` from then, or from when what was sent before it would be through on the slowest uplink, if later
   * (what is sent after it does not delay it).
   */
  #probe: { framesBefore: number; deadline: number; reason: string; backlog?: Backlog } | undefined;

  constructor(
    private readonly hooks: WatchdogHooks,
    private readonly timing: WatchdogTiming = defaultTiming,
  ) {}

  start(): void {
    this.stop();
    this.#timer = setInterval(() => this.check(Date.now()), this.timing.intervalMs);
  }

  stop(): void {
    clearInterval(this.#timer);
    clearTimeout(this.#soon);
    this.#timer = this.#soon = undefined;
    this.#probe = undefined;
  }

  /**
   * Probes now and gives the socket `answerWithinMs` to answer, however recent its last frame: the network under it
   * changed, so what it did before says nothing. Bytes its send queue holds back now that leave by then answer too: the
   * server's side acknowledged them on the network now in use, while the server may answer the probe only once it has
   * read a whole upload. No-op when not started (no socket).
   */
  checkSoon(answerWithinMs: number, reason: string, now = Date.now()): void {
    if (this.#timer === undefined) return;
    this.#forgetAnsweredProbe();
    // An unanswered probe's deadline stands: network changes in a row do not keep a stalled socket alive. Its backlog
    // does not: what left before this change was acknowledged on the network before it, which may be gone now.
    const deadline = Math.min(now + answerWithinMs, this.#probe?.deadline ?? Number.POSITIVE_INFINITY);
    const backlog = backlogOf(this.hooks.sendQueue()); // before the probe, which is not held back
    this.#probe = { framesBefore: this.hooks.framesReceived(), deadline, reason, backlog };
    this.hooks.probe();
    clearTimeout(this.#soon);
    this.#soon = setTimeout(() => this.check(Date.now()), deadline - now);
  }

  /** One look at the silence; public so tests can drive it with a chosen clock. */
  check(now: number): void {
    this.#forgetAnsweredProbe();
    if (this.#probe) {
      if (now < this.#probe.deadline) return;
      const { reason, backlog, framesBefore } = this.#probe;
      // Alive on the new network, its upload still going out: the answer waits as a silence probe's does.
      if (backlog && this.#leftSince(backlog)) return void (this.#probe = this.#silenceProbe(now, framesBefore));
      this.stop();
      this.hooks.dead(reason);
      return;
    }
    if (now - this.hooks.lastReceived() < this.timing.probeAfterMs) return;
    this.#probe = this.#silenceProbe(now, this.hooks.framesReceived());
    this.hooks.probe();
  }

  /** A silence probe's wait: from now, or from when what was sent before it would be through on the slowest uplink. */
  #silenceProbe(now: number, framesBefore: number): { framesBefore: number; deadline: number; reason: string } {
    const waitFrom = Math.max(now, this.hooks.slowestUploadDoneAt());
    return { framesBefore, deadline: waitFrom + this.timing.deadAfterMs - this.timing.probeAfterMs, reason: "no frame from the server" };
  }

  /**
   * Some of the backlog left the browser since the network changed: what was sent after it is behind it in the queue,
   * and what left came from its head, held back by a full OS buffer.
   */
  #leftSince(backlog: Backlog): boolean {
    const { sent, queued } = this.hooks.sendQueue();
    return Math.max(0, queued - (sent - backlog.sentBefore)) < backlog.queued;
  }

  /** A frame since the probe went out answered it. */
  #forgetAnsweredProbe(): void {
    if (this.#probe && this.hooks.framesReceived() > this.#probe.framesBefore) this.#probe = undefined;
  }
}

/** The backlog to watch after a network change; none when nothing is held back (only an answer can tell then). */
function backlogOf(queue: SendQueueState): Backlog | undefined {
  return queue.held > 0 ? { queued: queue.queued, sentBefore: queue.sent } : undefined;
}
