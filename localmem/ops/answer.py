"""Answer: a reply that uses what the assistant remembers about the user.

Retrieved memories are rendered as a compact, dated block in the system prompt, together with a
style line from the user's tracked preferences. When the memory holds nothing relevant to a question
about the user's own past, the instructions tell the model to say so instead of inventing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel

from localmem.llm import Message

SYSTEM = """You are localmem, a private assistant running on the user's own computer. Today is {today}.
{memory_block}
Use these memories when they are relevant, and do not mention them otherwise. If the user asks about their own life and the memories above do not contain the answer, say you don't know or don't remember; never invent personal details.{style}"""

SHORT_SYSTEM = "Today is {today}.\n{memory_block}{style}"

NO_MEMORIES = "You remember nothing about the user yet."


class MemoryLine(BaseModel):
    text: str
    when: date | datetime | None = None
    kind: str = "fact"


def memory_block(memories: Sequence[MemoryLine], *, max_chars: int = 2400) -> str:
    """One line per memory, most relevant first, with the date it was said or became true."""
    if not memories:
        return NO_MEMORIES
    lines = ["What you remember about the user (most relevant first):"]
    used = len(lines[0])
    for m in memories:
        day = m.when.date().isoformat() if isinstance(m.when, datetime) else (m.when.isoformat() if m.when else "")
        line = f"- [{day}] {m.text}" if day else f"- {m.text}"
        if used + len(line) + 1 > max_chars:
            break
        lines.append(line)
        used += len(line) + 1
    return "\n".join(lines)


def build_messages(question: str, memories: Sequence[MemoryLine], *, today: date,
                   history: Sequence[Message] = (), style: str = "",
                   prompt: Literal["full", "short"] = "full") -> list[Message]:
    template = SHORT_SYSTEM if prompt == "short" else SYSTEM
    system = template.format(today=today.isoformat(), memory_block=memory_block(memories),
                             style=f"\n{style}" if style else "")
    return [{"role": "system", "content": system}, *history, {"role": "user", "content": question}]
