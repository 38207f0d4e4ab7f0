// Keyed tweening: every item (a bar, an axis) animates from where it is drawn now to its new target.
// A retarget in mid-flight starts from the interpolated state, so a live stream moves smoothly.

/** Numbers that animate together (positions in data units, slots, opacity). */
export type Geom = Record<string, number>;

export interface Clock {
  now(): number;
  frame(cb: () => void): number;
  cancel(id: number): void;
}

const browserClock: Clock = {
  now: () => performance.now(),
  frame: (cb) => requestAnimationFrame(cb),
  cancel: (id) => cancelAnimationFrame(id),
};

/** Cubic ease in-out on [0, 1]. */
export function ease(t: number): number {
  return t < 0.5 ? 4 * t * t * t : 1 - Math.pow(-2 * t + 2, 3) / 2;
}

/** a -> b at t; a value that is not finite on either side jumps to b (nothing to interpolate). */
export function mix(a: Geom, b: Geom, t: number): Geom {
  const out: Geom = {};
  for (const k of Object.keys(b)) {
    const x = a[k], y = b[k];
    out[k] = x === undefined || !Number.isFinite(x) || !Number.isFinite(y) ? y : x + (y - x) * t;
  }
  return out;
}

export interface TweenHooks {
  /** Draw item `key` at state `g`. */
  draw(key: string, g: Geom): void;
  /** Item `key` has faded out: remove what draws it. */
  remove(key: string): void;
  /** Called after each frame's draws (axes, aria state); `done` on the last one. */
  after?(done: boolean): void;
}

export class Tween {
  private from = new Map<string, Geom>();
  private to = new Map<string, Geom>();
  private leaving = new Set<string>();
  readonly current = new Map<string, Geom>();
  private started = 0;
  private request = 0;

  constructor(private hooks: TweenHooks, public duration = 350, private clock: Clock = browserClock) {}

  get running(): boolean {
    return this.request !== 0;
  }

  /**
   * Animate to `targets`. A new key starts from `enter(target)`; a key no longer present fades to
   * `exit(current)` and is removed at the end.
   */
  retarget(targets: Map<string, Geom>, enter: (g: Geom) => Geom, exit: (g: Geom) => Geom, animate = true): void {
    this.from.clear();
    this.to.clear();
    for (const [key, target] of targets) {
      this.from.set(key, this.current.get(key) ?? enter(target));
      this.to.set(key, target);
      this.leaving.delete(key);
    }
    for (const [key, g] of this.current) {
      if (targets.has(key)) continue;
      this.from.set(key, g);
      this.to.set(key, exit(g));
      this.leaving.add(key);
    }
    this.started = this.clock.now();
    if (!animate || this.duration <= 0) {
      this.step(1);
      return;
    }
    if (!this.request) this.request = this.clock.frame(() => this.tick());
  }

  stop(): void {
    if (this.request) this.clock.cancel(this.request);
    this.request = 0;
  }

  private tick(): void {
    this.request = 0;
    const t = Math.min(1, (this.clock.now() - this.started) / this.duration);
    this.step(t);
    if (t < 1) this.request = this.clock.frame(() => this.tick());
  }

  private step(t: number): void {
    const e = ease(t);
    for (const [key, target] of this.to) {
      const g = t >= 1 ? { ...target } : mix(this.from.get(key) ?? target, target, e);
      this.current.set(key, g);
      this.hooks.draw(key, g);
    }
    if (t >= 1) {
      this.stop();
      for (const key of this.leaving) {
        this.current.delete(key);
        this.to.delete(key);
        this.hooks.remove(key);
      }
      this.leaving.clear();
    }
    this.hooks.after?.(t >= 1);
  }
}
