/**
 * Notices a connection that went silent without a close event (sleeping laptop, dropped NAT entry). After
 * `probeAfterMs` of silence it sends a probe the server must answer; a probe unanswered for
 * `deadAfterMs - probeAfterMs`, counted from when what was sent before it would be through on the slowest uplink
 * allowed for (the server reads all of it before it answers), gives up on the socket. The probe keeps a lone client on a quiet room from being
 * dropped for mere silence, also when the check itself runs late: a hidden tab's repeating timers run once a minute
 * in Chrome, so the first look may see a minute of silence on a healthy socket. Silence alone never kills it.
 * When the network under the socket changed (the browser went offline or came back), `checkSoon` probes at once and
 * gives the answer a short while: a stalled socket is then noticed in seconds, not after the silence timeout.
 */
import { ProviderDefaults } from "./defaults.js";

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
  probe(): void;
  dead(reason: string): void;
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
  #probe: { framesBefore: number; deadline: number; reason: string } | undefined;

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
   * Probes now and gives the socket `answerWithinMs` to answer, however recent its last frame and whatever is being
   * uploaded: the network under it changed, so what it did before says nothing. No-op when not started (no socket).
   */
  checkSoon(answerWithinMs: number, reason: string, now = Date.now()): void {
    if (this.#timer === undefined) return;
    this.#forgetAnsweredProbe();
    // An unanswered probe's deadline stands: network changes in a row do not keep a stalled socket alive.
    const deadline = Math.min(now + answerWithinMs, this.#probe?.deadline ?? Number.POSITIVE_INFINITY);
    this.#probe = { framesBefore: this.hooks.framesReceived(), deadline, reason };
    this.hooks.probe();
    clearTimeout(this.#soon);
    this.#soon = setTimeout(() => this.check(Date.now()), deadline - now);
  }

  /** One look at the silence; public so tests can drive it with a chosen clock. */
  check(now: number): void {
    this.#forgetAnsweredProbe();
    if (this.#probe) {
      if (now < this.#probe.deadline) return;
      const { reason } = this.#probe;
      this.stop();
      this.hooks.dead(reason);
      return;
    }
    if (now - this.hooks.lastReceived() < this.timing.probeAfterMs) return;
    const waitFrom = Math.max(now, this.hooks.slowestUploadDoneAt());
    this.#probe = {
      framesBefore: this.hooks.framesReceived(),
      deadline: waitFrom + this.timing.deadAfterMs - this.timing.probeAfterMs,
      reason: "no frame from the server",
    };
    this.hooks.probe();
  }

  /** A frame since the probe went out answered it. */
  #forgetAnsweredProbe(): void {
    if (this.#probe && this.hooks.framesReceived() > this.#probe.framesBefore) this.#probe = undefined;
  }
}
