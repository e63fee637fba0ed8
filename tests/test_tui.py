"""The terminal app, driven with Pilot: a fast model double at the LLM boundary, a real SQLite
file, the real embedding model, the real pipeline and Assistant."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, Markdown, OptionList

from localmem.memory import Memory
from localmem.store.memories import NewMemory
from localmem.tui.app import LocalmemApp
from localmem.tui.backend import Backend
from localmem.tui.screens.chat import ChatScreen
from localmem.tui.screens.dialogs import ChoiceDialog, ConfirmDialog, TextDialog
from localmem.tui.screens.memories import MemoryBrowser
from localmem.tui.screens.sessions import SessionsScreen
from localmem.tui.widgets.chat_log import AssistantMessage, ChatLog, UserMessage
from localmem.tui.widgets.memory_panel import EventRow, MemoryPanel
from localmem.tui.widgets.status_line import StatusLine
from tui_fakes import FakeRuntime, memory

SIZE = (80, 24)


@pytest.fixture
def mem(tmp_path: Path):
    with Memory(tmp_path / "memory.db") as m:
        yield m


def make_app(mem: Memory, runtime: FakeRuntime | None = None, **kwargs) -> tuple[LocalmemApp, FakeRuntime, list]:
    rt = runtime or FakeRuntime()
    loaded: list = []

    def factory(name):
        loaded.append(name)
        if name in (None, rt.name):
            return rt
        return FakeRuntime(name)

    backend = Backend(mem, user_id="ana", runtime_factory=factory, **kwargs)
    return LocalmemApp(backend), rt, loaded


async def settle(pilot, rounds: int = 3) -> None:
    """Let workers and background extractions finish and their messages be handled (no sleeping)."""
    import asyncio
    from concurrent.futures import wait

    for _ in range(rounds):
        await pilot.app.workers.wait_for_complete()
        chat = next(s for s in pilot.app.screen_stack if isinstance(s, ChatScreen))
        pending = [f for f in chat.background if not f.done()]
        if pending:
            await asyncio.to_thread(wait, pending)
        await pilot.pause()


async def send(pilot, text: str, *, wait: bool = True) -> None:
    prompt = pilot.app.screen.query_one("#prompt", Input)
    prompt.focus()
    prompt.value = text
    await pilot.press("enter")
    if wait:
        await settle(pilot)


async def rename_and_resume_lyon(pilot, app, titles: list[str], *, search: str, reply: str) -> None:
    """Ctrl+O lists the saved chats (``titles``, newest first); searching ``search`` keeps only "Tell
    me about Lyon", which is renamed "Lyon trip" and resumed with its two messages on screen."""
    await pilot.press("ctrl+o")
    await settle(pilot)
    assert isinstance(app.screen, SessionsScreen)
    table = app.screen.query_one(DataTable)
    assert [table.get_row_at(i)[0] for i in range(table.row_count)] == titles
    field = app.screen.query_one("#session-search", Input)
    field.focus()
    field.value = search
    await settle(pilot)
    assert [table.get_row_at(i)[0] for i in range(table.row_count)] == ["Tell me about Lyon"]
    table.focus()
    await pilot.press("r")
    await settle(pilot)
    assert isinstance(app.screen, TextDialog)
    app.screen.query_one("#dialog-text", Input).value = "Lyon trip"
    await pilot.press("enter")
    await settle(pilot)
    assert [table.get_row_at(i)[0] for i in range(table.row_count)] == ["Lyon trip"]
    await pilot.press("enter")  # resume
    await settle(pilot)
    assert isinstance(app.screen, ChatScreen) and app.sub_title == "Lyon trip"
    shown = [(type(w).__name__, w.text) for w in app.screen.query_one(ChatLog).children]
    assert shown == [("UserMessage", "Tell me about Lyon"), ("AssistantMessage", reply)]


async def until(pilot, condition) -> None:
    """Process messages until ``condition()`` holds (a worker thread is making progress)."""
    while not condition():
        await pilot.pause()


def status_text(app) -> str:
    return str(app.screen.query_one(StatusLine).render())


def panel_rows(app) -> list[tuple[str, str]]:
    return [(r.event, r.text) for r in app.screen.query(EventRow)]


async def test_reply_streams_as_markdown_and_the_panel_shows_the_new_memory(mem: Memory):
    rt = FakeRuntime(replies=[["Hello **Ana**", ", nice cat", "!\n\n- Miso"]],
                     facts={"my cat": [memory("User's cat is named Miso", category="relationships")]})
    app, _, _ = make_app(mem, rt)
    updates: list[str] = []
    original = Markdown.update

    def counting_update(self, markdown):  # the stream appends; a full re-render would call update
        updates.append(markdown)
        return original(self, markdown)

    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "fake" in status_text(app) and "memory on" in status_text(app)
        Markdown.update = counting_update
        try:
            await send(pilot, "Hi! My cat is called Miso")
        finally:
            Markdown.update = original
        reply = app.screen.query_one(AssistantMessage)
        assert reply.text == "Hello **Ana**, nice cat!\n\n- Miso"
        assert [u for u in updates if u] == []  # only the empty document it was mounted with
        assert [type(b).__name__ for b in reply.body.children] == ["MarkdownParagraph", "MarkdownBulletList"]
        assert app.screen.query_one(UserMessage).text == "Hi! My cat is called Miso"
        assert panel_rows(app) == [("ADD", "User's cat is named Miso")]
        status = status_text(app)
        assert "20.0 tok/s" in status and "ctx 103/4096" in status and "adapters none" in status
    assert [m.text for m in mem.get_all(user_id="ana")] == ["User's cat is named Miso"]


async def test_the_reply_never_waits_for_extraction(mem: Memory):
    rt = FakeRuntime(facts={"lyon": [memory("User lives in Lyon", category="location")]})
    release = threading.Event()
    chat = rt.chat

    def slow_extraction(messages, **kw):
        release.wait()
        return chat(messages, **kw)

    rt.chat = slow_extraction
    app, _, _ = make_app(mem, rt)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await send(pilot, "I live in Lyon", wait=False)
        screen = app.screen
        await app.workers.wait_for_complete()  # the reply worker ends with the reply ...
        await pilot.pause()
        assert screen.replying is None
        assert app.screen.query_one(AssistantMessage).text == "I hear you. Tell me **more**."
        assert "Remembering" in str(app.screen.query_one("#memory-state").render())
        assert panel_rows(app) == []
        release.set()
        await settle(pilot)
        assert panel_rows(app) == [("ADD", "User lives in Lyon")]


async def test_a_new_prompt_stops_the_running_reply(mem: Memory):
    rt = FakeRuntime(replies=[["one ", "two ", "three ", "four"], ["Second answer."]])
    rt.gate = threading.Event()
    app, _, _ = make_app(mem, rt)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await send(pilot, "Tell me a long story", wait=False)
        first = app.screen.query_one(AssistantMessage)
        await until(pilot, lambda: first.text == "one ")
        await send(pilot, "Actually, never mind", wait=False)
        rt.gate.set()
        await settle(pilot)
        replies = list(app.screen.query(AssistantMessage))
        assert [r.text for r in replies] == ["one two ", "Second answer."]
        assert "stopped" in str(replies[0].query_one(".reply-meta").render())
    logged = [(m.role, m.content) for m in mem.messages(user_id="ana")]
    assert logged == [("user", "Tell me a long story"), ("assistant", "one two "),
                      ("user", "Actually, never mind"), ("assistant", "Second answer.")]


async def test_auto_scroll_only_while_the_user_is_at_the_bottom(mem: Memory):
    long = ["line\n\n" * 10]
    rt = FakeRuntime(replies=[long, long, long, ["tail\n\n" * 10]])
    app, _, _ = make_app(mem, rt)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for i in range(2):
            await send(pilot, f"message {i}")
        log = app.screen.query_one(ChatLog)
        assert log.max_scroll_y > 0 and log.scroll_y == log.max_scroll_y
        log.scroll_to(y=0, animate=False)  # the user scrolls up to read
        await pilot.pause()
        prompt = app.screen.query_one("#prompt", Input)
        # a reply arriving while the user reads does not move the view ...
        screen = app.screen
        screen._seq += 1
        view = await log.add_assistant(reply_id=screen._seq)
        await view.append("more\n\n" * 10)
        await view.finish()
        await pilot.pause()
        assert log.scroll_y == 0
        # ... back at the bottom, the view follows new content again
        log.scroll_end(animate=False)
        await pilot.pause()
        await view.append("even more\n\n" * 10)
        await pilot.pause()
        await pilot.pause()
        assert log.scroll_y == log.max_scroll_y
        # sending a prompt always jumps to the bottom
        log.scroll_to(y=0, animate=False)
        await pilot.pause()
        prompt.focus()
        await send(pilot, "and now?")
        assert log.scroll_y == log.max_scroll_y > 0


async def test_sessions_are_listed_searched_renamed_and_resumed(mem: Memory):
    rt = FakeRuntime(replies=[["Lyon is lovely."], ["Bread needs time."], ["Welcome back."]])
    app, _, _ = make_app(mem, rt)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await send(pilot, "Tell me about Lyon")
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert not app.screen.query(AssistantMessage)
        await send(pilot, "How do I bake sourdough bread?")
        # search covers message text, not only titles
        await rename_and_resume_lyon(pilot, app, ["How do I bake sourdough bread?", "Tell me about Lyon"],
                                     search="lovely", reply="Lyon is lovely.")
        await send(pilot, "I'm back")
    sessions = {s.title: s for s in app.backend.sessions.list(user_id="ana")}
    assert set(sessions) == {"Lyon trip", "How do I bake sourdough bread?"}
    assert sessions["Lyon trip"].message_count == 4  # the resumed chat continued in the same session


def seed(mem: Memory) -> dict[str, str]:
    store = mem.store
    from localmem.store.scope import Scope

    scope = Scope.of("ana")
    lyon = store.add_memory(scope, NewMemory(text="User lives in Lyon", category="location"))
    _, berlin = store.supersede(lyon.id, NewMemory(text="User lives in Berlin", category="location"))
    tea = store.add_memory(scope, NewMemory(text="User prefers green tea", kind="preference", category="food"))
    dog = mem.add("My dog is called Rex", user_id="ana", infer=False)[0].memory
    return {"lyon": lyon.id, "berlin": berlin.id, "tea": tea.id, "dog": dog.id}


def table_texts(app) -> list[str]:
    table = app.screen.query_one(DataTable)
    return [str(table.get_row_at(i)[3]) for i in range(table.row_count)]


def detail_text(app) -> str:
    return str(app.screen.query_one("#memory-detail").render())


async def select_row(pilot, text: str) -> None:
    table = pilot.app.screen.query_one(DataTable)
    table.focus()
    table.move_cursor(row=table_texts(pilot.app).index(text))
    await settle(pilot)


async def test_memory_browser_search_filter_and_detail(mem: Memory):
    seed(mem)
    app, _, _ = make_app(mem)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+b")
        await settle(pilot)
        assert isinstance(app.screen, MemoryBrowser)
        assert sorted(table_texts(app)) == ["My dog is called Rex", "User lives in Berlin", "User prefers green tea"]
        app.screen.query_one("#kind-filter").value = "preference"
        await settle(pilot)
        assert table_texts(app) == ["User prefers green tea"]
        app.screen.query_one("#kind-filter").clear()
        app.screen.query_one("#category-filter").value = "location"
        app.screen.query_one("#show-filter").value = "all"
        await settle(pilot)
        assert sorted(table_texts(app)) == ["User lives in Berlin", "User lives in Lyon"]
        app.screen.query_one("#category-filter").clear()
        app.screen.query_one("#show-filter").value = "active"
        search = app.screen.query_one("#memory-search", Input)
        search.focus()
        search.value = "dog"
        await settle(pilot)
        assert table_texts(app)[0] == "My dog is called Rex"
        await select_row(pilot, "My dog is called Rex")
        detail = detail_text(app)
        assert "History" in detail and "ADD" in detail
        assert "user: My dog is called Rex" in detail  # its source message


async def test_memory_browser_edit_delete_undelete_restore_and_export(mem: Memory, tmp_path: Path):
    ids = seed(mem)
    app, _, _ = make_app(mem)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+b")
        await settle(pilot)
        # edit: the old text stays in the history
        await select_row(pilot, "User prefers green tea")
        await pilot.press("e")
        await settle(pilot)
        app.screen.query_one("#dialog-text", Input).value = "User prefers jasmine tea"
        await pilot.press("enter")
        await settle(pilot)
        assert "User prefers jasmine tea" in table_texts(app)
        assert [h.action.value for h in mem.history(ids["tea"])] == ["ADD", "UPDATE"]
        assert "User prefers green tea → User prefers jasmine tea" in detail_text(app)
        # delete asks first; "No" changes nothing
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("enter")  # the focused default is No
        await settle(pilot)
        assert mem.get(ids["tea"]).status.value == "active"
        await pilot.press("d")
        await settle(pilot)
        await pilot.click("#yes")
        await settle(pilot)
        assert mem.get(ids["tea"]).status.value == "deleted"
        assert "User prefers jasmine tea" not in table_texts(app)
        # undelete from the "all versions" view
        app.screen.query_one("#show-filter").value = "all"
        await settle(pilot)
        await select_row(pilot, "User prefers jasmine tea")
        await pilot.press("u")
        await settle(pilot)
        assert mem.get(ids["tea"]).status.value == "active"
        # restore a superseded version (with confirmation): Berlin is superseded by a copy of Lyon
        await select_row(pilot, "User lives in Lyon")
        assert "replaced by: User lives in Berlin" in detail_text(app)
        await pilot.press("v")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await settle(pilot)
        active = {m.text for m in mem.get_all(user_id="ana")}
        assert "User lives in Lyon" in active and "User lives in Berlin" not in active
        assert mem.get(ids["berlin"]).status.value == "superseded"
        # export
        target = tmp_path / "out" / "ana.json"
        await pilot.press("x")
        await settle(pilot)
        app.screen.query_one("#dialog-text", Input).value = str(target)
        await pilot.press("enter")
        await settle(pilot)
    data = json.loads(target.read_text())
    assert data["user_id"] == "ana" and len(data["memories"]) == 5


async def test_memory_modes_from_keys_and_palette(mem: Memory):
    mem.add("I live in Lyon", user_id="ana", infer=False)
    rt = FakeRuntime(facts={"rex": [memory("User's dog is named Rex")]})
    app, _, _ = make_app(mem, rt)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+t")  # on -> read-only
        await settle(pilot)
        assert app.backend.memory_mode == "read-only" and "memory read-only" in status_text(app)
        await send(pilot, "Where do I live? My dog is Rex")
        assert "I live in Lyon" in rt.prompts[-1][0]["content"]  # recalled
        await pilot.press("ctrl+t")  # read-only -> off
        await settle(pilot)
        assert "fresh start" in str(app.screen.query_one("#memory-state").render())
        await send(pilot, "Where do I live?")
        assert "I live in Lyon" not in rt.prompts[-1][0]["content"]
        assert [m.content for m in mem.messages(user_id="ana")] == ["I live in Lyon"]  # nothing written
        assert [m.text for m in mem.get_all(user_id="ana")] == ["I live in Lyon"]
        # back on through the command palette
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"Memory on")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert app.backend.memory_mode == "on" and "memory on" in status_text(app)
        await send(pilot, "My dog is Rex")
    assert "User's dog is named Rex" in {m.text for m in mem.get_all(user_id="ana")}


async def test_model_choice_and_adapters(mem: Memory):
    rt = FakeRuntime("fast", adapters={"extract": "extract-lora"},
                     facts={"rex": [memory("User's dog is named Rex")]})
    app, _, loaded = make_app(mem, rt, model="fast")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "adapters on: extract" in status_text(app)
        await send(pilot, "My dog is Rex")
        assert ("extract", "extract-lora") in rt.json_calls
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert "adapters off" in status_text(app)
        rt.json_calls.clear()
        await send(pilot, "Rex is a beagle, and my dog Rex")
        assert rt.json_calls and all(adapter is None for _, adapter in rt.json_calls)
        # the model list comes from the registry
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert isinstance(app.screen, ChoiceDialog)
        options = app.screen.query_one(OptionList)
        names = [options.get_option_at_index(i).id for i in range(options.option_count)]
        assert {"fast", "quality", "smol"} <= set(names) and "tiny" not in names  # tiny has no chat template
        options.highlighted = names.index("smol")
        await pilot.press("enter")
        await settle(pilot)
        assert loaded == ["fast", "smol"] and rt.closed
        assert status_text(app).startswith("smol")


async def test_a_missing_model_is_reported_and_the_app_stays_up(mem: Memory):
    def factory(name):
        raise RuntimeError("model 'fast' is not installed: run `localmem models install fast`")

    app = LocalmemApp(Backend(mem, user_id="ana", runtime_factory=factory))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "not installed" in status_text(app)
        await send(pilot, "hello?")
        meta = str(app.screen.query_one(AssistantMessage).query_one(".reply-meta").render())
        assert "not installed" in meta
        await pilot.press("ctrl+b")  # the memory browser works without a model
        await settle(pilot)
        assert isinstance(app.screen, MemoryBrowser)


@pytest.mark.parametrize("theme,size", [("textual-dark", SIZE), ("textual-light", SIZE), ("textual-dark", (140, 45))])
async def test_every_screen_opens_at_80x24_and_larger_in_light_and_dark(mem: Memory, theme: str, size):
    seed(mem)
    app, _, _ = make_app(mem)
    app.theme = theme
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await send(pilot, "hello")
        assert app.screen.query_one("#prompt").region.bottom <= size[1] - 2  # status line, footer fit
        assert app.screen.query_one(MemoryPanel).region.width >= 20
        from localmem.tui.screens.preferences import PreferencesScreen

        for key, screen_type in (("ctrl+b", MemoryBrowser), ("ctrl+o", SessionsScreen), ("f2", PreferencesScreen)):
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, screen_type)
            await pilot.press("escape")
            await settle(pilot)
            assert isinstance(app.screen, ChatScreen)


async def test_messages_left_pending_are_remembered_at_the_next_start(mem: Memory):
    from localmem.store.scope import Scope

    mem.store.log_messages(Scope.of("ana", session_id="s0"), [("user", "My sister is called Ines", {})],
                           pending=True)  # the app quit while this was being extracted
    rt = FakeRuntime(facts={"ines": [memory("User's sister is named Ines", category="relationships")]})
    app, _, _ = make_app(mem, rt)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "From last time" in str(app.screen.query_one("#memory-state").render())
        assert panel_rows(app) == [("ADD", "User's sister is named Ines")]
    assert mem.store.pending_messages(user_id="ana") == []


def test_quitting_never_waits_for_a_running_extraction(mem: Memory):
    rt = FakeRuntime()
    backend = Backend(user_id="ana", db_path=str(mem.path), runtime_factory=lambda name: rt)
    backend.start()
    held, release = threading.Event(), threading.Event()

    def extraction():
        with rt.lock:
            held.set()
            release.wait()

    worker = threading.Thread(target=extraction)
    worker.start()
    held.wait()
    backend.close()  # returns at once: nothing is closed under the running extraction
    assert not rt.closed
    release.set()
    worker.join()
    backend.close()
    assert rt.closed


async def test_quitting_stops_a_running_reply_and_frees_the_model(mem: Memory):
    rt = FakeRuntime(replies=[["one ", "two ", "three ", "four"]])
    rt.gate = threading.Event()
    app, _, _ = make_app(mem, rt)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await send(pilot, "Tell me a long story", wait=False)
        first = app.screen.query_one(AssistantMessage)
        await until(pilot, lambda: first.text == "one ")
        app.workers.cancel_all()  # what quitting does to workers (their threads run on)
        rt.gate.set()
        meta = first.query_one(".reply-meta")
        await until(pilot, lambda: "stopped" in str(meta.render()))  # posted after the model is released
        assert first.text == "one two "  # stopped at the next chunk
        assert rt.lock.acquire(blocking=False)  # the model is free again
        rt.lock.release()


async def test_preferences_show_short_and_long_term_with_change_points(mem: Memory):
    from localmem.tui.screens.preferences import PreferencesScreen
    from localmem.tui.widgets.preference_chart import DimensionChart

    for text in ["hey explain docker real quick", "shorter please", "just the gist", "tl;dr pls",
                 "Could you please give a detailed, thorough explanation of Kubernetes networking?",
                 "Please elaborate in depth, with a long step-by-step walkthrough.",
                 "Please describe ingress in full detail, covering every option."]:
        mem.observe_preferences(text, user_id="ana")
    profile = mem.preferences(user_id="ana")
    app, _, _ = make_app(mem)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, PreferencesScreen)
        charts = {c.dimension: str(c.render()) for c in app.screen.query(DimensionChart)}
        assert set(charts) == set(profile.dimensions)
        length = profile.dimensions["length"]
        assert f"short {length.short_term:.2f}" in charts["length"]
        assert f"long  {length.long_term:.2f}" in charts["length"]
        changed = [d for d, s in profile.dimensions.items() if s.last_change is not None]
        assert changed, "the switch from terse to detailed is a change point"
        for name in changed:
            assert "▲" in charts[name] and f"changed at turn {profile.dimensions[name].last_change.turn}" in charts[name]
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ChatScreen)


async def test_editing_the_last_reply_is_kept_and_moves_the_preferences(mem: Memory):
    long_reply = ["Sure! Docker is a platform for containers. ", "It packages an application with its "
                  "dependencies into an image, which runs the same everywhere. ", "Containers share the host "
                  "kernel, so they start fast and use little memory, unlike virtual machines."]
    rt = FakeRuntime(replies=[long_reply])
    app, _, _ = make_app(mem, rt)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await send(pilot, "What is Docker?")
        before = mem.preferences(user_id="ana").dimensions["length"].fused
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert isinstance(app.screen, TextDialog)
        area = app.screen.query_one("#dialog-text")
        assert area.text.startswith("Sure! Docker is a platform")
        area.text = "Docker runs apps in containers."
        await pilot.press("ctrl+s")
        await settle(pilot)
        reply = app.screen.query_one(AssistantMessage)
        assert reply.text == "Docker runs apps in containers."
        assert "edited by you" in str(reply.query_one(".reply-meta").render())
        after = mem.preferences(user_id="ana").dimensions["length"].fused
        assert after < before
        assert "length" in str(app.screen.query_one("#memory-state").render())
    (fb,) = mem.prefs.feedback_log(user_id="ana")
    assert fb.edited == "Docker runs apps in containers." and fb.original.startswith("Sure! Docker")
    assert fb.message_id == [m.id for m in mem.messages(user_id="ana") if m.role == "assistant"][0]


async def test_an_edit_is_refused_when_memory_is_not_on(mem: Memory):
    app, _, _ = make_app(mem, memory_mode="off")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await send(pilot, "hello")
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert isinstance(app.screen, ChatScreen)  # no dialog: nothing could be learnt
        assert any("not stored" in n.message for n in app._notifications)


async def test_resuming_a_long_chat_draws_only_the_newest_messages(mem: Memory):
    from localmem.sessions import ChatSessions
    from localmem.store.scope import Scope
    from localmem.tui.screens.chat import RESUME_SHOWN

    session = ChatSessions(mem).start(user_id="ana", title="A long one")
    turns = [("user" if i % 2 == 0 else "assistant", f"message {i}", {}) for i in range(RESUME_SHOWN + 20)]
    mem.store.log_messages(Scope.of("ana", session_id=session.id), turns, pending=False)
    app, _, _ = make_app(mem)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.resume(session.id)
        await settle(pilot)
        log = app.screen.query_one(ChatLog)
        texts = [w.text for w in log.children if isinstance(w, (UserMessage, AssistantMessage))]
        assert len(texts) == RESUME_SHOWN and texts[-1] == f"message {RESUME_SHOWN + 19}"
        assert "20 earlier messages" in str(log.query_one(".earlier-note").render())
