// A bound Job's progress in a view: a progress bar, a status line and a Cancel button.

export type JobStatus = "" | "pending" | "running" | "done" | "cancelled" | "error";

export interface JobState {
  status: JobStatus;
  done: number;
  total: number; // 0: unknown
  elapsed: number; // seconds
  eta: number | null; // seconds left
  unit: string; // "repeats", "batches", ...
}

/** "4.1 s", "42 s", "2 min 05 s", "1 h 02 min". */
export function durationText(s: number): string {
  if (!Number.isFinite(s) || s < 0) return "";
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 59.5) return `${Math.round(s)} s`;
  if (s < 3600) {
    const m = Math.floor(Math.round(s) / 60), sec = Math.round(s) % 60;
    return `${m} min ${String(sec).padStart(2, "0")} s`;
  }
  const h = Math.floor(s / 3600), m = Math.round((s % 3600) / 60);
  return `${h} h ${String(m).padStart(2, "0")} min`;
}

/** "about 6 s left", rounded so it does not flicker: seconds, then 5 s, then minutes. */
export function etaText(s: number | null): string {
  if (s === null || !Number.isFinite(s) || s < 0) return "";
  if (s < 1) return "almost done";
  if (s < 10) return `about ${Math.ceil(s)} s left`;
  if (s < 60) return `about ${Math.ceil(s / 5) * 5} s left`;
  if (s < 3600) return `about ${Math.round(s / 60)} min left`;
  return `about ${durationText(s).replace(/ \d+ min$/, (m) => m)} left`;
}

function count(st: JobState): string {
  return st.total > 0 ? `${st.done.toLocaleString()} / ${st.total.toLocaleString()} ${st.unit}`
    : `${st.done.toLocaleString()} ${st.unit}`;
}

function of(st: JobState): string {
  return st.total > 0 ? `${st.done.toLocaleString()} of ${st.total.toLocaleString()} ${st.unit}`
    : `${st.done.toLocaleString()} ${st.unit}`;
}

/** The status line: "12 / 30 repeats · 4.1 s · about 6 s left", "partial — cancelled after 12 of 30 repeats". */
export function jobText(st: JobState): string {
  switch (st.status) {
    case "":
      return "";
    case "pending":
      return "waiting for the job to start";
    case "running":
      return [count(st), durationText(st.elapsed), etaText(st.eta)].filter(Boolean).join(" · ");
    case "done":
      return `done: ${st.done.toLocaleString()} ${st.unit} in ${durationText(st.elapsed)}`;
    case "cancelled":
      return `partial \u2014 cancelled after ${of(st)}`;
    case "error":
      return `failed after ${of(st)}`;
  }
}

/** Fraction for the progress bar, or null when the total is unknown. */
export function jobFraction(st: JobState): number | null {
  if (st.status === "done") return 1;
  return st.total > 0 ? Math.min(1, st.done / st.total) : null;
}

export class JobPanel {
  readonly el: HTMLDivElement;
  private track: HTMLDivElement;
  private fill: HTMLDivElement;
  private text: HTMLSpanElement;
  private button: HTMLButtonElement;
  private lastStatus: JobStatus = "";

  constructor(parent: HTMLElement, onCancel: () => void) {
    this.el = document.createElement("div");
    this.el.className = "ipx-job";
    this.track = document.createElement("div");
    this.track.className = "ipx-progress";
    this.track.setAttribute("role", "progressbar");
    this.track.setAttribute("aria-valuemin", "0");
    this.fill = document.createElement("div");
    this.fill.className = "ipx-progress-fill";
    this.track.appendChild(this.fill);
    this.text = document.createElement("span");
    this.text.className = "ipx-job-text";
    this.text.setAttribute("aria-live", "polite");
    this.button = document.createElement("button");
    this.button.className = "ipx-button ipx-cancel";
    this.button.type = "button";
    this.button.textContent = "Cancel";
    this.button.addEventListener("click", () => {
      this.button.disabled = true;
      this.button.textContent = "Cancelling\u2026";
      onCancel();
    });
    this.el.append(this.track, this.text, this.button);
    parent.appendChild(this.el);
  }

  update(st: JobState): void {
    this.el.hidden = st.status === "";
    this.el.dataset.status = st.status;
    const fraction = jobFraction(st);
    this.track.classList.toggle("ipx-progress-unknown", fraction === null && st.status === "running");
    this.fill.style.width = `${((fraction ?? (st.status === "running" ? 0.3 : 0)) * 100).toFixed(1)}%`;
    if (fraction !== null) this.track.setAttribute("aria-valuenow", String(Math.round(fraction * 100)));
    else this.track.removeAttribute("aria-valuenow");
    this.track.setAttribute("aria-valuemax", "100");
    this.track.setAttribute("aria-label", `${st.unit} done`);
    this.text.textContent = jobText(st);
    const active = st.status === "running" || st.status === "pending";
    if (active && this.lastStatus !== st.status) {
      this.button.disabled = false;
      this.button.textContent = "Cancel";
    }
    this.button.hidden = !active;
    this.lastStatus = st.status;
  }
}
