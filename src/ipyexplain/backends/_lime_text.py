"""LIME for text: lime's ``LimeTextExplainer`` perturbation, vectorised.

The text is cut into pieces like lime's ``IndexedString``: ``re.split`` on ``split_expression``
(default ``\\W+``) keeping the separators, or a callable tokenizer, or a list of tokens given as the
instance. With ``bow`` (bag of words) a feature is a distinct word and removing it removes every
occurrence; otherwise a feature is one position, replaced by ``mask_string``. A sample removes a
uniformly drawn number (1..d) of distinct features, chosen uniformly; its distance to the instance is
the cosine distance of the presence vectors, times 100 (kernel width 25).

The model receives a ``list[str]`` of perturbed texts (separators kept), or a ``list[list[str]]``
when the instance was given as a list of tokens.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from itertools import compress
from typing import Any

import numpy as np

from .. import adapters
from ._lime_core import checked_outputs

Splitter = str | Callable[[str], Sequence[str]]


def _pieces_with_tokens(text: str, tokens: Sequence[str]) -> tuple[list[str], list[bool]]:
    pieces: list[str] = []
    is_word: list[bool] = []
    at = 0
    for token in tokens:
        found = text.find(token, at)
        if found < 0:
            raise ValueError(f"the tokenizer returned {token!r}, which is not in the text (after offset {at})")
        if found > at:
            pieces.append(text[at:found])
            is_word.append(False)
        pieces.append(token)
        is_word.append(True)
        at = found + len(token)
    if at < len(text):
        pieces.append(text[at:])
        is_word.append(False)
    return pieces, is_word


class TextPerturber:
    mode = "text"

    def __init__(self, instance: Any, *, split_expression: Splitter, bow: bool, mask_string: str | None) -> None:
        self.as_tokens = not isinstance(instance, str)
        if self.as_tokens:
            if not isinstance(instance, (list, tuple, np.ndarray)) or not all(isinstance(t, str) for t in instance):
                raise TypeError(f"a text instance must be a str or a list of str tokens; got {type(instance).__name__}")
            pieces, is_word = [str(t) for t in instance], [True] * len(instance)
        elif callable(split_expression):
            pieces, is_word = _pieces_with_tokens(instance, list(split_expression(instance)))
        elif isinstance(split_expression, str):
            splitter = re.compile(r"(%s)|$" % split_expression)  # noqa: UP031 - lime's own pattern
            pieces = [p for p in splitter.split(instance) if p]
            is_word = [not splitter.match(p) for p in pieces]
        else:
            raise TypeError("split_expression must be a regular expression or a callable; "
                            f"got {type(split_expression).__name__}")
        if not pieces or (not self.as_tokens and not instance.strip()):
            raise ValueError("instance is an empty text; LIME needs at least one word to remove")
        self.bow = bow
        self.mask = "UNKWORDZ" if mask_string is None else mask_string
        vocab: dict[str, int] = {}
        words: list[str] = []
        word_of_piece = np.full(len(pieces), -1, dtype=np.intp)
        starts = np.concatenate([[0], np.cumsum([len(p) for p in pieces])[:-1]]).astype(int)
        positions: list[list[int]] = []
        for i, (piece, word) in enumerate(zip(pieces, is_word, strict=True)):
            if not word:
                continue
            if bow and piece in vocab:
                word_of_piece[i] = vocab[piece]
            else:
                word_of_piece[i] = vocab.setdefault(piece, len(words)) if bow else len(words)
                words.append(piece)
                positions.append([])
            positions[word_of_piece[i]].append(int(starts[i]))
        if not words:
            raise ValueError(f"instance has no words to remove (split by {split_expression!r}): {instance!r:.80}")
        self.pieces = np.array(pieces, dtype=object)
        self.word_of_piece = word_of_piece
        self.is_word = word_of_piece >= 0
        self.feature_names = words
        self.n_features = len(words)
        self.positions = tuple(tuple(p) for p in positions)
        self.z0 = np.ones(self.n_features)
        self.data = np.array(words, dtype=object)
        self.display_data = None

    def sample(self, rng: np.random.Generator, n: int, first: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        d = self.n_features
        removed = rng.integers(1, d + 1, n)  # how many distinct words each sample removes
        ranks = rng.random((n, d)).argsort(axis=1).argsort(axis=1)
        Z = (ranks >= removed[:, None]).astype(np.float64)
        if first:
            Z[0] = 1.0
        kept = Z.sum(axis=1)
        distances = (1.0 - np.sqrt(kept / d)) * 100  # cosine distance to the all-ones vector, x100 as lime
        return Z, distances, Z.astype(bool)

    def rows(self, keep: np.ndarray) -> list[Any]:
        """The perturbed documents: pieces of removed words dropped (or masked, without ``bow``)."""
        keep_piece = np.ones((keep.shape[0], len(self.pieces)), dtype=bool)
        keep_piece[:, self.is_word] = keep[:, self.word_of_piece[self.is_word]]
        pieces = self.pieces.tolist()
        if self.bow:
            docs = [list(compress(pieces, row)) for row in keep_piece.tolist()]
        else:
            masked = np.where(keep_piece, self.pieces, self.mask)
            docs = masked.tolist()
        return docs if self.as_tokens else ["".join(doc) for doc in docs]

    def predict(self, predictor: adapters.Predictor, rows: Any) -> np.ndarray:
        try:
            raw = predictor.predict_all(rows)
        except Exception as exc:
            raise adapters.PredictError(f"{type(predictor.model).__name__} failed to predict on {len(rows)} perturbed "
                                        f"texts (it receives a list of str): {exc}") from exc
        return checked_outputs(raw, len(rows), predictor.model)
