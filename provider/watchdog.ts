/**
 * Notices a connection that went silent without a close event (sleeping laptop, dropped NAT entry). After
 * `probeAfterMs` of silence it sends a probe the server must answer; a probe unanswered for
 * `deadAfterMs - probeAfterMs`, counted from when what was sent before it would be through on the slowest uplink
 * allowed for (the server reads all of it before it answers), gives up on the socket. The probe keeps a lone client on a quiet room from being
 * dropped for mere silence, also when the check itself runs late: a hidden tab's repeating timers run once a minute
 * in Chrome, so the first look may see a minute of silence on a healthy socket. Silence alone never kills it.
 */
import { ProviderDefaults } from "./defaults.js";

export interface WatchdogHooks {
  lastReceived(): number;
  /** When everything sent so far would be through on the slowest uplink allowed for (SocketConnection). */
  slowestUploadDoneAt(): number;
  probe(): void;
  dead(): void;
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
  /**
   * The unanswered probe: when it went out, and from when it waits for its answer (then, or when what was sent before
   * it would be through on the slowest uplink, if later; what is sent after it does not delay it).
   */
  #probe: { at: number; waitFrom: number } | undefined;

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
    this.#timer = undefined;
    this.#probe = undefined;
  }

  /** One look at the silence; public so tests can drive it with a chosen clock. */
  check(now: number): void {
    const lastReceived = this.hooks.lastReceived();
    // A frame since the probe answered it.
    if (this.#probe && lastReceived >= this.#probe.at) this.#probe = undefined;
    if (now - lastReceived < this.timing.probeAfterMs) return;
    if (!this.#probe) {
      this.#probe = { at: now, waitFrom: Math.max(now, this.hooks.slowestUploadDoneAt()) };
      this.hooks.probe();
    } else if (now - this.#probe.waitFrom >= this.timing.deadAfterMs - this.timing.probeAfterMs) {
      this.stop();
      this.hooks.dead();
    }
  }
}
