/**
 * What every view does to stay drawn: one redraw per animation frame however many model changes
 * arrive (stale states are never drawn), a redraw when its width changes or JupyterLab switches
 * theme, a readable message instead of a frozen widget when drawing throws, and clean-up.
 */
interface Events {
  on(event: string, cb: () => void): void;
  off(event: string, cb: () => void): void;
}

export class Redraws {
  /** The root's width in CSS pixels, as last observed (0 until laid out). */
  width = 0;
  private request = 0;
  private readonly listeners: Array<[string, () => void]> = [];
  private readonly resize: ResizeObserver;
  private readonly theme: MutationObserver;

  constructor(private readonly model: Events, root: HTMLElement, private readonly draw: () => void,
    private readonly failed: (err: Error) => void) {
    this.resize = new ResizeObserver(() => this.measure(root));
    this.resize.observe(root);
    // JupyterLab switches themes by changing attributes on <body>; the new stylesheet can land after
    // the attribute flips, so draw again a moment later.
    this.theme = new MutationObserver(() => {
      this.schedule();
      window.setTimeout(() => this.schedule(), 300);
    });
    this.theme.observe(document.body,
      { attributes: true, attributeFilter: ["data-jp-theme-name", "data-jp-theme-light", "class"] });
    this.measure(root);
  }

  /** Redraw (or run `cb`) when any of these model attributes change. */
  on(names: string[], cb: () => void = () => this.schedule()): void {
    for (const name of names) {
      const event = `change:${name}`;
      this.model.on(event, cb);
      this.listeners.push([event, cb]);
    }
  }

  schedule(): void {
    if (this.request) return;
    this.request = requestAnimationFrame(() => {
      this.request = 0;
      try {
        this.draw();
      } catch (err) {
        this.failed(err as Error);
        console.error(err);
      }
    });
  }

  destroy(): void {
    this.resize.disconnect();
    this.theme.disconnect();
    cancelAnimationFrame(this.request);
    for (const [event, cb] of this.listeners) this.model.off(event, cb);
  }

  private measure(root: HTMLElement): void {
    const width = root.clientWidth;
    if (width > 0 && width !== this.width) {
      this.width = width;
      this.schedule();
    }
  }
}
