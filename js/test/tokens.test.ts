import { describe, expect, it } from "vitest";
import { pieces, scheme, tokenColors, wordOf } from "../src/lib/tokens_words";

describe("sub-word tokens", () => {
  it("join WordPiece continuations into words and keep special tokens apart", () => {
    const p = pieces(["[CLS]", "the", "play", "##ing", "##s", "end", "[SEP]"]);
    expect(scheme(["a", "##b"])).toBe("wordpiece");
    expect(p.map((x) => x.text)).toEqual(["[CLS]", "the", "play", "ing", "s", "end", "[SEP]"]);
    expect(p.map((x) => x.joined)).toEqual([false, false, false, true, true, false, false]);
    expect(p.map((x) => x.space)).toEqual([false, true, true, false, false, true, true]);
    expect(p[0].special && p[6].special && !p[1].special).toBe(true);
    expect(wordOf(p, 3)).toBe("playings");
    expect(wordOf(p, 1)).toBe("the");
  });

  it("read SentencePiece and byte-level BPE word starts", () => {
    const sp = pieces(["\u2581The", "\u2581play", "ing", "\u2581."]);
    expect(sp.map((x) => [x.text, x.space, x.joined])).toEqual([["The", false, false], ["play", true, false],
      ["ing", false, true], [".", true, false]]);
    const bpe = pieces(["The", "\u0120cat", "s", "\u0120sat", "\u010a"]);
    expect(bpe.map((x) => x.text)).toEqual(["The", "cat", "s", "sat", "\u23ce"]);
    expect(bpe[2].joined && bpe[3].space).toBe(true);
  });

  it("keep HTML-looking tokens as plain text", () => {
    const p = pieces(["<img src=x onerror=alert(1)>", "ok"]);
    expect(p[0].text).toBe("<img src=x onerror=alert(1)>");
    expect(p[0].special).toBe(false);
  });

  it("colour by sign with strength growing with |score|", () => {
    const pos = tokenColors(1, 1, "rdbu"), neg = tokenColors(-1, 1, "rdbu"), zero = tokenColors(0, 1, "rdbu");
    expect(pos.background).toBe("rgba(103, 0, 31, 0.900)");
    expect(neg.background).toBe("rgba(5, 48, 97, 0.900)");
    expect(zero.background.endsWith(", 0.000)")).toBe(true);
    expect(pos.strong && !zero.strong).toBe(true);
    expect(tokenColors(NaN, 1, "rdbu").background).toBe("transparent");
  });
});
