"""Counts that describe the dev set: ``python -m localmem.eval.devset_stats [PATH]``."""

from __future__ import annotations

import sys
from collections import Counter
from typing import Any

from localmem.eval.devset import Decision, DevSet, load_devset
from localmem.types import Category, Kind


def devset_stats(devset: DevSet) -> dict[str, Any]:
    convs = devset.conversations
    turns = list(devset.user_turns())
    memories = [m for c in convs for m in c.memories()]
    probes = [p for c in convs for p in c.probes]
    return {
        "conversations": len(convs),
        "sessions": sum(len(c.sessions) for c in convs),
        "sessions_per_conversation": dict(sorted(Counter(len(c.sessions) for c in convs).items())),
        "turns": sum(len(s.turns) for c in convs for s in c.sessions),
        "user_turns": len(turns),
        "user_turns_without_memories": sum(1 for t in turns if not t.gold),
        "memories": len(memories),
        "memories_with_valid_from": sum(1 for m in memories if m.valid_from),
        "kinds": {k.value: sum(m.kind is k for m in memories) for k in Kind},
        "categories": {c.value: sum(m.category is c for m in memories) for c in Category},
        "decisions": {d.value: sum(m.decision is d for m in memories) for d in Decision},
        "probes": len(probes),
        "probes_answerable": sum(p.answerable for p in probes),
        "probes_unanswerable": sum(not p.answerable for p in probes),
        "personas": len(devset.personas),
    }


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    stats = devset_stats(load_devset(argv[0] if argv else None))
    for key, value in stats.items():
        if isinstance(value, dict):
            print(f"{key}:")
            for k, v in value.items():
                print(f"  {k:<22} {v}")
        else:
            print(f"{key:<30} {value}")


if __name__ == "__main__":
    main()
