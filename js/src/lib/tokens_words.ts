// Sub-word tokens -> readable text: which tokens start a word, and what each shows (markers removed).
// WordPiece (BERT): "##ing" continues the previous word. SentencePiece: "▁play" starts a word.
// Byte-level BPE (GPT-2, RoBERTa): "Ġplay" starts a word ("Ċ" is a newline).
import { buildLut, LUT_SIZE } from "./colormap";

export interface Piece {
  /** What is drawn (marker removed; whitespace made visible). */
  text: string;
  /** The token as given. */
  raw: string;
  /** A space goes before it (it starts a word that is not the first). */
  space: boolean;
  /** It continues the previous token's word (a sub-word piece). */
  joined: boolean;
  /** Special tokens ([CLS], <s>, ...) are drawn muted. */
  special: boolean;
}

const SPECIAL = /^(\[[A-Z]+\]|<\/?[a-z|]+>|<\|[a-z_]+\|>)$/;

export function scheme(tokens: string[]): "wordpiece" | "sentencepiece" | "bpe" | "words" {
  if (tokens.some((t) => t.startsWith("##") && t.length > 2)) return "wordpiece";
  if (tokens.some((t) => t.startsWith("\u2581"))) return "sentencepiece";
  if (tokens.some((t) => t.startsWith("\u0120"))) return "bpe";
  return "words";
}

function visible(text: string): string {
  return text.replace(/\n/g, "\u23ce").replace(/\t/g, "\u21e5");
}

export function pieces(tokens: string[]): Piece[] {
  const kind = scheme(tokens);
  return tokens.map((raw, i) => {
    const special = SPECIAL.test(raw);
    let text = raw, starts = true;
    if (kind === "wordpiece" && raw.startsWith("##") && raw.length > 2) {
      text = raw.slice(2);
      starts = false;
    } else if (kind === "sentencepiece" || kind === "bpe") {
      const marker = kind === "sentencepiece" ? "\u2581" : "\u0120";
      starts = raw.startsWith(marker) || special || i === 0;
      text = raw.startsWith(marker) ? raw.slice(1) : raw;
      if (kind === "bpe") text = text.replace(/\u010a/g, "\n");
      if (i > 0 && !special && SPECIAL.test(tokens[i - 1])) starts = true;
    }
    if (text === "") text = raw; // a bare marker: show it rather than nothing
    return { text: visible(text), raw, space: i > 0 && starts, joined: i > 0 && !starts, special };
  });
}

/** The whole word a piece belongs to (for the tooltip), e.g. "playing" for "##ing". */
export function wordOf(all: Piece[], i: number): string {
  let a = i, b = i;
  while (a > 0 && all[a].joined) a--;
  while (b + 1 < all.length && all[b + 1].joined) b++;
  return all.slice(a, b + 1).map((p) => p.text).join("");
}

/** Background (rgba) and text colour for a score with colour limit `limit`. */
export function tokenColors(value: number, limit: number, cmap: string): { background: string; strong: boolean } {
  if (!Number.isFinite(value)) return { background: "transparent", strong: false };
  const lim = limit > 0 ? limit : 1;
  const t = Math.max(0, Math.min(1, (value + lim) / (2 * lim)));
  const k = Math.min(LUT_SIZE - 1, Math.floor(t * LUT_SIZE)) * 3;
  const lut = buildLut(cmap);
  const alpha = Math.min(1, Math.abs(value) / lim);
  return {
    // No tint at 0, so neutral tokens read as plain text on light and dark pages alike.
    background: `rgba(${lut[k]}, ${lut[k + 1]}, ${lut[k + 2]}, ${(0.9 * alpha).toFixed(3)})`,
    strong: alpha > 0.6, // dark background: white text
  };
}
