"""Sparklines of one preference dimension: short-term (sliding window) and long-term (EMA) values
per turn, with the turns where a change of preference was detected marked ▲."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

BLOCKS = "▁▂▃▄▅▆▇█"


def level(value: float) -> str:
    """The block for a value in [0, 1] (an absolute scale: 0.5 is always the middle block)."""
    v = min(max(value, 0.0), 1.0)
    return BLOCKS[min(int(v * len(BLOCKS)), len(BLOCKS) - 1)]


def scalar(value, label: str | None) -> float:
    """A continuous value as is; a categorical one as the probability of ``label``."""
    if isinstance(value, dict):
        return float(value.get(label, 0.0)) if label else 0.0
    return float(value)


def describe(value, label: str | None) -> str:
    if isinstance(value, dict):
        return f"{label} {value.get(label, 0.0):.2f}"
    return f"{float(value):.2f}"


def render_dimension(name: str, state, history: list, width: int = 30) -> Text:
    """Three lines: the short-term sparkline, the long-term one, and change markers."""
    label = state.top if isinstance(state.fused, dict) else None
    window = history[-width:]
    short = "".join(level(scalar(s.short_term.get(name, 0.5), label)) for s in window)
    long = "".join(level(scalar(s.long_term.get(name, 0.5), label)) for s in window)
    marks = "".join("▲" if name in s.changed else " " for s in window)
    pad = width - len(window)
    out = Text()
    out.append(f"{name:<10}", style="bold")
    out.append(" " * pad + short, style="cyan")
    out.append(f"  short {describe(state.short_term, label)}\n")
    out.append(" " * 10)
    out.append(" " * pad + long, style="magenta")
    out.append(f"  long  {describe(state.long_term, label)}")
    out.append(f" → {describe(state.fused, label)}", style="bold")
    out.append("\n" + " " * 10 + " " * pad)
    out.append(marks, style="bold red")
    if state.last_change is not None:
        out.append(f"  ▲ changed at turn {state.last_change.turn}", style="red")
    elif state.observations == 0:
        out.append("  (nothing observed yet)", style="dim")
    return out


class DimensionChart(Static):
    def __init__(self, name: str, state, history: list):
        super().__init__(render_dimension(name, state, history), classes="dimension-chart")
        self.dimension = name
