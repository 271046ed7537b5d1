"""Each article's language: an ISO 639-1 code from py3langid's bundled model, read from the start of its text.

The model ships inside the py3langid package (nothing is downloaded); it is loaded once per process.
Text too short to judge, or a guess the model is unsure of, is "und" (undetermined, as in BCP 47).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
from numba import njit
from py3langid.langid import MODEL_FILE, LanguageIdentifier

from cleaners.rules import UNDETERMINED, LanguageRules


class CompiledWalkIdentifier(LanguageIdentifier):
    """py3langid's identifier with its byte-by-byte feature walk compiled and its feature weights held as
    float32 (the type its scores are computed in): the same features counted in the same order, so the same
    scores to the last bit, in a fraction of the time."""

    def __init__(self, nb_ptc: np.ndarray, *args, **kwargs) -> None:
        super().__init__(np.asarray(nb_ptc, dtype=np.float32), *args, **kwargs)
        self._walk_tables = (
            np.asarray(self.tk_nextmove),  # a view of py3langid's own array: no copy
            np.asarray(self._rowbase, dtype=np.int32),
            np.asarray(self.tk_output, dtype=np.int32),  # int32 and below: fewer cache lines per lookup
        )
        # Scratch for the walk: each feature's place among the text's features, -1 when not yet seen.
        self._places = np.full(len(self.tk_output), -1, dtype=np.int32)

    def feature_counts(self, text: bytes) -> tuple[np.ndarray, np.ndarray]:
        """The features the model's DFA emits over `text`, in the order of their first emission, and how often."""
        return _count_features(*self._walk_tables, np.frombuffer(text, dtype=np.uint8), self._places)

    def _raw_score(self, text: bytes) -> np.ndarray:
        """Naive Bayes scores of the encoded text, as py3langid's sparse score computes them (its own path when
        the text holds no feature)."""
        features, counts = self.feature_counts(text)
        if not len(features):
            return super()._raw_score(text)
        return np.log1p(counts.astype(np.float32)) @ self.nb_ptc[features] + self.nb_pc


@njit(cache=True)
def _count_features(nextmove, rowbase, output, data, places):  # pragma: no cover - compiled; tested against py3langid
    """The features a byte DFA emits over `data` in order of first emission, with their counts; `places` (all -1)
    is left as it was found. Runs holding the GIL, so threads never share `places` at once."""
    features = np.empty(len(data), dtype=np.int64)
    counts = np.zeros(len(data), dtype=np.int64)
    found = 0
    state = 0
    for byte in data:
        state = nextmove[rowbase[state] + byte]
        feature = output[state]
        if feature >= 0:
            if places[feature] < 0:
                places[feature] = found
                features[found] = feature
                found += 1
            counts[places[feature]] += 1
    for index in range(found):
        places[features[index]] = -1
    return features[:found], counts[:found]


@functools.cache
def _identifier() -> LanguageIdentifier:
    """py3langid's model with probabilities normalised to sum to one (about two seconds to load)."""
    return CompiledWalkIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def language_sample(paragraphs: Sequence[str], sample_chars: int) -> str:
    """The first `sample_chars` characters of the paragraphs, one per line."""
    pieces: list[str] = []
    length = 0
    for paragraph in paragraphs:
        if length >= sample_chars:
            break
        pieces.append(paragraph[: sample_chars - length])
        length += len(pieces[-1]) + 1
    return "\n".join(pieces)


def detect_language(paragraphs: Sequence[str], rules: LanguageRules) -> str:
    """The ISO 639-1 code of the paragraphs' language, or "und" when they are too short or the model unsure."""
    sample = language_sample(paragraphs, rules.sample_chars)
    if not _holds_letters(sample, rules.min_letters):
        return UNDETERMINED
    language, confidence = _identifier().classify(sample)
    return language if confidence >= rules.min_confidence else UNDETERMINED


def _holds_letters(sample: str, least: int) -> bool:
    """Whether the sample holds `least` letters or more: counted in its start first (news text is mostly letters), in
    the whole only when the start holds too few."""
    return sum(map(str.isalpha, sample[: 4 * least])) >= least or sum(map(str.isalpha, sample)) >= least
