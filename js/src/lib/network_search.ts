// The search box: type to find layers by path, name or type; Enter goes to the next match
// (Shift+Enter the previous one), Escape clears.
import type { GNode, NetGraph } from "./network_graph";

export class SearchBox {
  readonly input: HTMLInputElement;
  readonly count: HTMLSpanElement;
  private found: GNode[] = [];
  private at = -1;

  /** `graph()` is the graph searched now; `go(node)` shows a match. */
  constructor(parent: HTMLElement, private graph: () => NetGraph | null, private go: (node: GNode) => void) {
    this.input = document.createElement("input");
    this.input.className = "ipx-net-search";
    this.input.type = "search";
    this.input.placeholder = "Find a layer…";
    this.input.setAttribute("aria-label", "find a layer by name, path or type");
    this.count = document.createElement("span");
    this.count.className = "ipx-net-matches";
    this.count.setAttribute("aria-live", "polite");
    parent.append(this.input, this.count);
    this.input.addEventListener("input", () => this.update());
    this.input.addEventListener("keydown", (e) => this.onKey(e));
  }

  private update(): void {
    this.found = this.graph()?.search(this.input.value) ?? [];
    this.at = -1;
    this.count.textContent = this.input.value.trim() ? `${this.found.length} found` : "";
  }

  private onKey(e: KeyboardEvent): void {
    if (e.key === "Escape") {
      this.input.value = "";
      this.update();
      return;
    }
    if (e.key !== "Enter" || !this.found.length) return;
    e.preventDefault();
    this.at = (this.at + (e.shiftKey ? -1 : 1) + this.found.length) % this.found.length;
    this.count.textContent = `${this.at + 1} of ${this.found.length}`;
    this.go(this.found[this.at]);
  }
}
