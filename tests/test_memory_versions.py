"""``Memory.restore_version``: bring back a superseded memory without losing the newer one."""

from __future__ import annotations

from pathlib import Path

import pytest

from localmem.memory import Memory
from localmem.store.errors import InvalidStateError
from localmem.store.memories import NewMemory
from localmem.store.scope import Scope


@pytest.fixture
def mem(tmp_path: Path):
    with Memory(tmp_path / "v.db") as m:
        yield m


def test_restoring_a_superseded_memory_supersedes_its_replacement(mem: Memory):
    scope = Scope.of("ana")
    lyon = mem.store.add_memory(scope, NewMemory(text="User lives in Lyon", category="location"))
    _, berlin = mem.store.supersede(lyon.id, NewMemory(text="User lives in Berlin", category="location"))
    _, osaka = mem.store.supersede(berlin.id, NewMemory(text="User lives in Osaka", category="location"))
    restored = mem.restore_version(lyon.id)  # the chain's end (Osaka) is replaced
    assert restored.text == "User lives in Lyon" and restored.status.value == "active"
    assert restored.category.value == "location" and restored.metadata["restored_from"] == lyon.id
    assert {m.text for m in mem.get_all(user_id="ana")} == {"User lives in Lyon"}
    assert mem.get(osaka.id).superseded_by == restored.id
    assert [h.action.value for h in mem.history(osaka.id)] == ["ADD", "SUPERSEDE"]
    assert [h.actor for h in mem.history(osaka.id)][-1] == "user"
    assert len(mem.get_all(user_id="ana", include_superseded=True)) == 4  # nothing deleted


def test_only_a_superseded_memory_with_a_live_replacement_can_be_restored(mem: Memory):
    scope = Scope.of("ana")
    tea = mem.store.add_memory(scope, NewMemory(text="User likes green tea"))
    with pytest.raises(InvalidStateError, match="only a superseded memory"):
        mem.restore_version(tea.id)
    _, coffee = mem.store.supersede(tea.id, NewMemory(text="User likes coffee"))
    mem.delete(coffee.id)
    with pytest.raises(InvalidStateError, match="restore that one first"):
        mem.restore_version(tea.id)
    assert mem.get(tea.id).status.value == "superseded" and mem.get(coffee.id).status.value == "deleted"
