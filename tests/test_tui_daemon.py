"""The terminal app through the daemon (issue 9), driven with Pilot.

Real ``localmem serve`` processes on a Unix socket in a tmp dir, a real SQLite file and the real
embedder; the daemon's model is the scripted stand-in (``--scripted-delay``): it answers "You
said: <message>" in word chunks and extracts "User said: <message>". The app finds the daemon the
way ``localmem chat`` does (``remote_for``: the default socket, the same store) and loads no model
of its own; without a daemon, or with ``LOCALMEM_NO_DAEMON=1``, it works in-process.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.widgets import Input

from daemon_helpers import Daemon
from localmem.client import RemoteAssistant, RemoteMemory, RemoteSessions
from localmem.memory import Memory
from localmem.sessions import ChatSessions, SessionNotFoundError
from localmem.store.memories import NewMemory
from localmem.store.scope import Scope
from localmem.tui.app import LocalmemApp
from localmem.tui.backend import Backend
from localmem.tui.screens.chat import ChatScreen
from localmem.tui.screens.dialogs import ChoiceDialog, ConfirmDialog, TextDialog
from localmem.tui.screens.memories import MemoryBrowser
from localmem.tui.screens.preferences import PreferencesScreen
from localmem.tui.widgets.chat_log import AssistantMessage, ChatLog, UserMessage
from test_tui import SIZE, detail_text, rename_and_resume_lyon, panel_rows, select_row, send, settle, status_text, table_texts, until
from tui_fakes import FakeRuntime

LONG = " ".join(f"word{i}" for i in range(30))  # a reply of 32 chunks: long enough to stop midway


@pytest.fixture(scope="module")
def daemon(tmp_path_factory):
    d = Daemon(tmp_path_factory.mktemp("tui-daemon-home"), scripted_delay=0.2).start()
    yield d
    assert d.stop() == 0


@pytest.fixture
def slow_daemon(tmp_path):
    """Each model call takes 4 s: a streamed reply is stopped while it is still coming."""
    d = Daemon(tmp_path / "slow-home", scripted_delay=4.0)
    d.home.mkdir()
    d.start()
    yield d
    assert d.stop() == 0


def no_model_here(name):
    raise AssertionError("the app loaded a model of its own although the daemon serves the store")


def daemon_app(daemon: Daemon, monkeypatch, user: str, **kwargs) -> LocalmemApp:
    """The app as ``localmem chat`` builds it: only the store's path; the daemon is found, not given."""
    monkeypatch.setenv("LOCALMEM_RUNTIME_DIR", str(daemon.runtime_dir))
    monkeypatch.delenv("LOCALMEM_NO_DAEMON", raising=False)
    return LocalmemApp(Backend(user_id=user, db_path=str(daemon.db), runtime_factory=no_model_here, **kwargs))


async def until_within(pilot, condition, seconds: float = 60.0) -> None:
    """``until`` with a deadline: a daemon that stops answering fails the test instead of hanging it."""
    import asyncio

    await asyncio.wait_for(until(pilot, condition), seconds)


def notes(app) -> list[str]:
    return [n.message for n in app._notifications]


# -- the API the app needs ------------------------------------------------------------------------

def test_remote_sessions_have_the_chat_sessions_verbs():
    import inspect

    verbs = {n for n, f in inspect.getmembers(ChatSessions, inspect.isfunction) if not n.startswith("_")}
    for name in verbs:
        local = set(inspect.signature(getattr(ChatSessions, name)).parameters)
        assert local == set(inspect.signature(getattr(RemoteSessions, name)).parameters), name


def test_sessions_and_model_info_through_the_daemon(daemon: Daemon):
    mem = daemon.memory()
    health = mem.health()
    assert health["model"] == "scripted" and health["adapters"] == [] and "n_ctx" in health
    sessions = RemoteSessions(mem)
    s = sessions.start(user_id="sid", title="Moving to   Lyon\nand more", model="scripted")
    assert s.title == "Moving to Lyon and more" and s.memory_mode == "on" and s.message_count == 0
    reply = RemoteAssistant(mem).chat("Lyon flats are pricey", user_id="sid", session_id=s.id)
    reply.wait_events(30)
    assert [m.content for m in sessions.messages(s.id)] == ["Lyon flats are pricey", "You said: Lyon flats are pricey"]
    assert sessions.rename(s.id, "Lyon flat hunt").title == "Lyon flat hunt"
    touched = sessions.touch(s.id, memory_mode="read-only")
    assert touched.memory_mode == "read-only" and touched.updated_at >= s.updated_at
    assert [x.title for x in sessions.list(user_id="sid", query="pricey")] == ["Lyon flat hunt"]
    assert sessions.list(user_id="sid", query="berlin") == []
    assert sessions.get(s.id).message_count == 2
    with pytest.raises(SessionNotFoundError):
        sessions.get("01M00000000000000000000000")


def test_stopping_a_streamed_reply_keeps_the_partial_reply_and_frees_the_model(slow_daemon: Daemon):
    mem = slow_daemon.memory()
    assistant = RemoteAssistant(mem)
    stream = assistant.chat(LONG, user_id="stu", session_id="s1", stream=True)
    assert stream.stream_id and stream.memories == []  # known before the first token
    pieces = iter(stream)
    first = [next(pieces), next(pieces)]
    stream.close()  # asks the daemon to stop at its next chunk and reads the rest
    pieces.close()
    reply = stream.reply
    assert reply is not None and reply.message_id
    assert reply.text.startswith("".join(first)) and len(reply.text) < len(f"You said: {LONG}")
    logged = [(m.role, m.content) for m in mem.messages(user_id="stu")]
    assert logged == [("user", LONG), ("assistant", reply.text)]
    # a client that just drops the connection (before any chunk) does not wedge the model either:
    # the daemon used to leave the model's lock held by an abandoned generator, forever
    dropped = assistant.chat("this one is dropped", user_id="stu", stream=True)
    dropped._lines.close()
    assert assistant.chat("still there?", user_id="stu").text == "You said: still there?"


# -- the app through the daemon ------------------------------------------------------------------

async def test_chat_through_the_daemon_streams_and_the_panel_shows_the_event(daemon: Daemon, monkeypatch):
    app = daemon_app(daemon, monkeypatch, "ana")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.backend.via_daemon
        status = status_text(app)
        assert status.startswith("scripted via daemon") and "memory on" in status and "adapters none" in status
        await send(pilot, "Hi! My cat is called Miso")
        assert app.screen.query_one(UserMessage).text == "Hi! My cat is called Miso"
        reply = app.screen.query_one(AssistantMessage)
        assert reply.text == "You said: Hi! My cat is called Miso" and reply.message_id
        assert panel_rows(app) == [("ADD", "User said: Hi! My cat is called Miso")]
        assert "tok/s" in status_text(app)
        # the next message recalls it (the panel says how many memories the reply was given)
        await send(pilot, "What is my cat called?")
        assert app.backend.session is not None
    remote = daemon.memory()
    assert "User said: Hi! My cat is called Miso" in {m.text for m in remote.get_all(user_id="ana")}
    (session,) = RemoteSessions(remote).list(user_id="ana")
    assert session.title == "Hi! My cat is called Miso" and session.message_count == 4 and session.model == "scripted"


async def test_sessions_preferences_and_reply_edits_through_the_daemon(daemon: Daemon, monkeypatch):
    app = daemon_app(daemon, monkeypatch, "bea")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await send(pilot, "Tell me about Lyon")
        await pilot.press("ctrl+n")
        await settle(pilot)
        await send(pilot, "Could you please give a detailed, thorough explanation of sourdough?")
        # edit the last reply: kept and learnt from by the daemon's preference tracker
        before = daemon.memory().preferences(user_id="bea").dimensions["length"].fused
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert isinstance(app.screen, TextDialog)
        app.screen.query_one("#dialog-text").text = "Flour, water, time."
        await pilot.press("ctrl+s")
        await settle(pilot)
        reply = list(app.screen.query(AssistantMessage))[-1]
        assert reply.text == "Flour, water, time." and "edited by you" in str(reply.query_one(".reply-meta").render())
        assert daemon.memory().preferences(user_id="bea").dimensions["length"].fused < before
        # preferences screen
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, PreferencesScreen)
        await pilot.press("escape")
        await settle(pilot)
        # saved chats: list, search, rename, resume
        await rename_and_resume_lyon(pilot, app, ["Could you please give a detailed, thorough…",
                                                  "Tell me about Lyon"],
                                     search="Tell", reply="You said: Tell me about Lyon")
        await send(pilot, "I'm back")
    titles = {s.title: s for s in RemoteSessions(daemon.memory()).list(user_id="bea")}
    assert titles["Lyon trip"].message_count == 4


async def test_memory_browser_through_the_daemon(daemon: Daemon, monkeypatch, tmp_path: Path):
    remote = daemon.memory()
    dog = remote.add("My dog is called Rex", user_id="cyd", infer=False)[0].memory
    tea = remote.add("I prefer green tea", user_id="cyd", infer=False)[0].memory
    with Memory(daemon.db) as local:  # a superseded version, written to the daemon's file directly
        lyon = local.store.add_memory(Scope.of("cyd"), NewMemory(text="User lives in Lyon", category="location"))
        _, berlin = local.store.supersede(lyon.id, NewMemory(text="User lives in Berlin", category="location"))
    app = daemon_app(daemon, monkeypatch, "cyd")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+b")
        await settle(pilot)
        assert isinstance(app.screen, MemoryBrowser)
        assert sorted(table_texts(app)) == ["I prefer green tea", "My dog is called Rex", "User lives in Berlin"]
        search = app.screen.query_one("#memory-search", Input)
        search.focus()
        search.value = "dog"
        await settle(pilot)
        assert table_texts(app)[0] == "My dog is called Rex"
        await select_row(pilot, "My dog is called Rex")
        assert "History" in detail_text(app) and "user: My dog is called Rex" in detail_text(app)
        search.value = ""
        await settle(pilot)
        # edit
        await select_row(pilot, "I prefer green tea")
        await pilot.press("e")
        await settle(pilot)
        app.screen.query_one("#dialog-text", Input).value = "I prefer jasmine tea"
        await pilot.press("enter")
        await settle(pilot)
        assert "I prefer jasmine tea" in table_texts(app)
        assert "I prefer green tea → I prefer jasmine tea" in detail_text(app)
        # delete (asks first)
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.click("#yes")
        await settle(pilot)
        assert remote.get(tea.id).status.value == "deleted" and "I prefer jasmine tea" not in table_texts(app)
        # undelete and restore a superseded version, from the "all versions" view
        app.screen.query_one("#show-filter").value = "all"
        await settle(pilot)
        await select_row(pilot, "I prefer jasmine tea")
        await pilot.press("u")
        await settle(pilot)
        assert remote.get(tea.id).status.value == "active"
        await select_row(pilot, "User lives in Lyon")
        assert "replaced by: User lives in Berlin" in detail_text(app)
        await pilot.press("v")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert remote.get(berlin.id).status.value == "superseded"
        # export: written by the app, on this side of the socket
        target = tmp_path / "cyd.json"
        await pilot.press("x")
        await settle(pilot)
        app.screen.query_one("#dialog-text", Input).value = str(target)
        await pilot.press("enter")
        await settle(pilot)
    assert [h.action.value for h in remote.history(tea.id)] == ["ADD", "UPDATE", "DELETE", "RESTORE"]
    assert "User lives in Lyon" in {m.text for m in remote.get_all(user_id="cyd")}
    data = json.loads(target.read_text())
    assert data["user_id"] == "cyd" and len(data["memories"]) == 5 and dog.id in {m["id"] for m in data["memories"]}


async def test_memory_modes_work_and_the_model_stays_the_daemons(daemon: Daemon, monkeypatch):
    daemon.memory().add("I live in Lyon", user_id="dax", infer=False)
    app = daemon_app(daemon, monkeypatch, "dax")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+t")  # on -> read-only
        await settle(pilot)
        assert "memory read-only" in status_text(app)
        await send(pilot, "Where do I live?")
        await pilot.press("ctrl+t")  # read-only -> off
        await settle(pilot)
        await send(pilot, "Where do I live?")
        remote = daemon.memory()
        assert [m.content for m in remote.messages(user_id="dax")] == ["I live in Lyon"]  # nothing written
        # the model and its adapters are the daemon's: a note, no dialog, nothing loaded here
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert not isinstance(app.screen, ChoiceDialog)
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert sum("owned by the daemon" in n for n in notes(app)) == 2
        assert status_text(app).startswith("scripted via daemon") and "adapters none" in status_text(app)
        with pytest.raises(ValueError, match="owned by the daemon"):
            app.backend.load_model("quality")
        await pilot.press("ctrl+t")  # off -> on
        await settle(pilot)
        await send(pilot, "My dog is Rex")
    assert "User said: My dog is Rex" in {m.text for m in daemon.memory().get_all(user_id="dax")}


async def test_a_new_prompt_stops_a_reply_streaming_from_the_daemon(slow_daemon: Daemon, monkeypatch):
    app = daemon_app(slow_daemon, monkeypatch, "eli")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await send(pilot, LONG, wait=False)
        first = app.screen.query_one(AssistantMessage)
        await until_within(pilot, lambda: first.text.startswith("You said:"))
        await send(pilot, "never mind", wait=False)
        await until_within(pilot, lambda: 1 not in app.screen._views)  # the first reply has finished
        assert "stopped" in str(first.query_one(".reply-meta").render())
        assert first.text.startswith("You said:") and len(first.text) < len(f"You said: {LONG}")
        await settle(pilot, rounds=6)
        replies = list(app.screen.query(AssistantMessage))
        assert [r.text for r in replies][1:] == ["You said: never mind"]
    logged = [(m.role, m.content) for m in slow_daemon.memory().messages(user_id="eli")]
    assert logged[0] == ("user", LONG) and logged[1][0] == "assistant" and logged[1][1].startswith(first.text)
    assert logged[2:] == [("user", "never mind"), ("assistant", "You said: never mind")]


# -- in-process when no daemon serves the store ----------------------------------------------------

async def test_without_a_daemon_the_app_works_in_process(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("LOCALMEM_RUNTIME_DIR", str(tmp_path / "run"))  # nothing listens there
    rt = FakeRuntime("fast", replies=[["Hello ", "Ana."]])
    app = LocalmemApp(Backend(user_id="ana", db_path=str(tmp_path / "m.db"), runtime_factory=lambda name: rt))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert not app.backend.via_daemon
        assert status_text(app).startswith("fast in-process")
        await send(pilot, "Hi")
        assert app.screen.query_one(AssistantMessage).text == "Hello Ana."
        await pilot.press("ctrl+l")  # in-process, the model can be switched
        await settle(pilot)
        assert isinstance(app.screen, ChoiceDialog)


@pytest.mark.parametrize("why", ["LOCALMEM_NO_DAEMON", "another store"])
async def test_in_process_when_forced_or_the_daemon_serves_another_store(daemon: Daemon, monkeypatch, tmp_path, why):
    monkeypatch.setenv("LOCALMEM_RUNTIME_DIR", str(daemon.runtime_dir))
    db = daemon.db
    if why == "LOCALMEM_NO_DAEMON":
        monkeypatch.setenv("LOCALMEM_NO_DAEMON", "1")
    else:
        db = tmp_path / "other.db"
    rt = FakeRuntime("fast")
    app = LocalmemApp(Backend(user_id="fin", db_path=str(db), runtime_factory=lambda name: rt))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert status_text(app).startswith("fast in-process")
        await send(pilot, "Hello from in here")
        assert app.screen.query_one(AssistantMessage).text == "I hear you. Tell me **more**."
