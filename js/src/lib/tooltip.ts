// A floating tooltip whose lines are set as text (user strings are never HTML).
export class Tooltip {
  readonly el: HTMLDivElement;

  constructor(private parent: HTMLElement) {
    this.el = document.createElement("div");
    this.el.className = "ipx-tooltip";
    this.el.setAttribute("role", "tooltip");
    this.el.style.display = "none";
    parent.appendChild(this.el);
  }

  /** Show `lines` (each `[label, value]`) near (x, y), kept inside the parent box. */
  show(lines: Array<[string, string]>, x: number, y: number, bounds: { width: number; height: number }): void {
    this.el.replaceChildren(
      ...lines.map(([label, value]) => {
        const row = document.createElement("div");
        const k = document.createElement("span");
        k.className = "ipx-tooltip-key";
        k.textContent = label;
        const v = document.createElement("span");
        v.textContent = value;
        row.append(k, v);
        return row;
      }),
    );
    this.el.style.display = "block";
    const w = this.el.offsetWidth, h = this.el.offsetHeight;
    const left = x + 14 + w > bounds.width ? Math.max(0, x - 14 - w) : x + 14;
    const top = y + 14 + h > bounds.height ? Math.max(0, y - 14 - h) : y + 14;
    this.el.style.transform = `translate(${Math.round(left)}px, ${Math.round(top)}px)`;
  }

  /** Show `lines` at the pointer of event `e`, kept inside the parent. */
  showAt(lines: Array<[string, string]>, e: { clientX: number; clientY: number }): void {
    const box = this.parent.getBoundingClientRect();
    this.show(lines, e.clientX - box.left, e.clientY - box.top, { width: box.width, height: box.height });
  }

  hide(): void {
    this.el.style.display = "none";
  }
}
