"""How the benchmark seed fills a task's fields: the spreads, the words, the labels.

Kept apart from `bench.seed` (which streams rows into COPY) so the distributions read in one
place. Every draw comes from the seed's `random.Random`, so a seed value gives the same data.

Descriptions are drawn from a pool made once per seed from a small vocabulary with a Zipf
spread: `COMMON_WORD` is in nearly every description, the tail words in few, and `RARE_WORD`
(outside the vocabulary) is added to `RARE_SHARE` of the descriptions, so a search for it
finds about the same share of a workspace's tasks at every size.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import random
import uuid
from collections.abc import Sequence

# (value, weight): about a third done, as the seed had before statuses.
STATUSES = (
    ("backlog", 0.15),
    ("todo", 0.30),
    ("in_progress", 0.15),
    ("done", 0.35),
    ("cancelled", 0.05),
)
PRIORITIES = (("none", 0.40), ("low", 0.20), ("medium", 0.20), ("high", 0.15), ("urgent", 0.05))
DESCRIBED_SHARE = 0.6
UNDATED_SHARE = 0.35
# Due dates this many days around the seeding day: some overdue, most ahead.
DUE_WINDOW = (-45, 120)
# How many labels a task has: (count, weight).
LABELS_PER_TASK = ((0, 0.55), (1, 0.30), (2, 0.15))
# A team's task: how many of its members are assigned (the heavy user only by choice).
ASSIGNEES_PER_TEAM_TASK = ((0, 0.30), (1, 0.55), (2, 0.15))
# A personal workspace's task is its owner's this often.
PERSONAL_ASSIGNED_SHARE = 0.5
LABELS = (
    ("bug", "#d73a4a"),
    ("feature", "#0e8a16"),
    ("design", "#5319e7"),
    ("docs", "#0075ca"),
    ("ops", "#fbca04"),
)

VOCABULARY_SIZE = 1000
COMMON_WORD = "review"
RARE_WORD = "quartzite"
RARE_SHARE = 1 / 1000
DESCRIPTION_POOL = 4096
DESCRIPTION_WORDS = (5, 60)

_SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]


def vocabulary() -> list[str]:
    """`COMMON_WORD` then made-up words of three syllables, most frequent first."""
    n = len(_SYLLABLES)
    made = (
        _SYLLABLES[i % n] + _SYLLABLES[(i // n) % n] + _SYLLABLES[(i * 31 + 17) % n]
        for i in range(VOCABULARY_SIZE - 1)
    )
    return [COMMON_WORD, *made]


class Picker:
    """Draws a value by weight with one random number."""

    def __init__(self, weighted: Sequence[tuple[object, float]]) -> None:
        self.values = [v for v, _ in weighted]
        self.bounds = list(itertools.accumulate(w for _, w in weighted))

    def __call__(self, rng: random.Random) -> object:
        at = bisect.bisect(self.bounds, rng.random() * self.bounds[-1])
        return self.values[min(at, len(self.values) - 1)]


STATUS = Picker(STATUSES)
PRIORITY = Picker(PRIORITIES)
LABEL_COUNT = Picker(LABELS_PER_TASK)
TEAM_ASSIGNEES = Picker(ASSIGNEES_PER_TEAM_TASK)


def description_pool(rng: random.Random) -> list[str]:
    """Descriptions of 5 to 60 words with a Zipf spread over the vocabulary."""
    words = vocabulary()
    weights = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(words))))
    low, high = DESCRIPTION_WORDS
    pool = []
    for _ in range(DESCRIPTION_POOL):
        picked = rng.choices(words, cum_weights=weights, k=rng.randint(low, high))
        sentence = " ".join(picked)
        pool.append(sentence[0].upper() + sentence[1:] + ".")
    return pool


def description(rng: random.Random, pool: Sequence[str]) -> str | None:
    if rng.random() >= DESCRIBED_SHARE:
        return None
    text = pool[rng.randrange(len(pool))]
    return f"{text} See {RARE_WORD}." if rng.random() < RARE_SHARE else text


def due_date(rng: random.Random, today: dt.date) -> dt.date | None:
    if rng.random() < UNDATED_SHARE:
        return None
    return today + dt.timedelta(days=rng.randint(*DUE_WINDOW))


def label_ids(workspace_ordinal: int) -> list[uuid.UUID]:
    """A workspace's labels (stable ids: the n-th workspace, the k-th label)."""
    return [uuid.UUID(int=(0xB2 << 120) | (workspace_ordinal << 8) | k) for k in range(len(LABELS))]


def label_rows(
    workspace_ordinal: int, workspace: uuid.UUID, created: dt.datetime
) -> list[tuple[object, ...]]:
    return [
        (label, workspace, name, colour, created)
        for label, (name, colour) in zip(label_ids(workspace_ordinal), LABELS, strict=True)
    ]


def labels_of_task(rng: random.Random, labels: Sequence[uuid.UUID]) -> list[uuid.UUID]:
    count = LABEL_COUNT(rng)
    assert isinstance(count, int)
    return rng.sample(labels, k=count) if count else []
