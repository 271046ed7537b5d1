"""Each article's language: an ISO 639-1 code from py3langid's bundled model, read from the start of its text.

The model ships inside the py3langid package (nothing is downloaded); it is loaded once per process.
Text too short to judge, or a guess the model is unsure of, is "und" (undetermined, as in BCP 47).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from py3langid.langid import MODEL_FILE, LanguageIdentifier

from cleaners.rules import LanguageRules

UNDETERMINED = "und"


@functools.cache
def _identifier() -> LanguageIdentifier:
    """py3langid's model with probabilities normalised to sum to one (about two seconds to load)."""
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


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
    if sum(character.isalpha() for character in sample) < rules.min_letters:
        return UNDETERMINED
    language, confidence = _identifier().classify(sample)
    return language if confidence >= rules.min_confidence else UNDETERMINED
