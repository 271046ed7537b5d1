"""Train copydesk's text-dump line model (cleaners/line_model.json) on the tune split of the benchmark pages.

A dump line is labelled content when its words are in the page's gold text (most of its word 4-shingles, or
the whole line for a short one). The logistic model is fitted by Newton's method with a little L2, each line
weighted by its words, and the threshold is the one that gives the best word F1 of the tune split's lines.
The shipped threshold (0.4, session 24) was chosen end to end instead, by `bench_clean.py --tune-only`: after a
retrain, measure it again that way (docs/cleaning.md). The held-apart split is never read here.

    .venv/bin/python benchmarks/train_line_model.py
"""

from __future__ import annotations

import json
import re
import sys

import numpy as np
from bench_clean import load_sets

from cleaners.line_model import MODEL_FILE, line_features
from cleaners.rules import BodyRules
from flows.reading.html_text import visible_text

_WORD = re.compile(r"\w+")
L2 = 1.0
SHINGLE = 4


def tokens(text: str) -> list[str]:
    """Lowercased word tokens."""
    return [token.lower() for token in _WORD.findall(text)]


def is_content(line: str, gold_text: str, gold_shingles: set[tuple[str, ...]]) -> bool:
    """Whether a dump line's words are in the gold text."""
    words = tokens(line)
    if len(words) < SHINGLE:
        return bool(words) and f" {' '.join(words)} " in gold_text
    shingles = [tuple(words[i : i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)]
    return sum(shingle in gold_shingles for shingle in shingles) >= 0.5 * len(shingles)


def training_rows() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Features, labels and word weights of every dump line of the tune split."""
    rows, labels, weights = [], [], []
    rules = BodyRules()
    for pages in load_sets(quick=False).values():
        for page in pages:
            if page.split != "tune":
                continue
            gold = tokens(page.gold)
            gold_text = f" {' '.join(gold)} "
            gold_shingles = {tuple(gold[i : i + SHINGLE]) for i in range(len(gold) - SHINGLE + 1)}
            lines = visible_text(page.html).splitlines()
            for line, features in zip(lines, line_features(lines, rules)):
                if features is not None:
                    rows.append(features)
                    labels.append(is_content(line, gold_text, gold_shingles))
                    weights.append(len(line.split()))
    return np.array(rows), np.array(labels, dtype=float), np.array(weights, dtype=float)


def fit(features: np.ndarray, labels: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted L2-regularised logistic regression by Newton's method; the bias is the last weight."""
    design = np.hstack([features, np.ones((len(features), 1))])
    beta = np.zeros(design.shape[1])
    penalty = L2 * np.eye(design.shape[1])
    penalty[-1, -1] = 0.0
    for _ in range(25):
        probability = 1 / (1 + np.exp(-np.clip(design @ beta, -30, 30)))
        gradient = design.T @ (weights * (probability - labels)) + penalty @ beta
        hessian = (design * (weights * probability * (1 - probability))[:, None]).T @ design + penalty
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if np.abs(step).max() < 1e-6:
            break
    return beta


def best_threshold(probability: np.ndarray, labels: np.ndarray, weights: np.ndarray) -> float:
    """The threshold with the best word-weighted F1 of kept lines."""
    best, chosen = -1.0, 0.5
    for threshold in np.arange(0.1, 0.9, 0.025):
        kept = probability >= threshold
        overlap = (weights * kept * labels).sum()
        f1 = 2 * overlap / ((weights * kept).sum() + (weights * labels).sum())
        if f1 > best:
            best, chosen = f1, float(threshold)
    return round(chosen, 3)


def main() -> int:
    """Fit the model on the tune split and write it next to cleaners/line_model.py."""
    features, labels, weights = training_rows()
    beta = fit(features, labels, weights)
    probability = 1 / (1 + np.exp(-np.clip(np.hstack([features, np.ones((len(features), 1))]) @ beta, -30, 30)))
    threshold = best_threshold(probability, labels, weights)
    MODEL_FILE.write_text(json.dumps({"weights": [round(float(w), 5) for w in beta], "threshold": threshold}) + "\n")
    print(
        f"train_line_model: {len(labels)} lines ({int(labels.sum())} content), threshold {threshold}, -> {MODEL_FILE}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
