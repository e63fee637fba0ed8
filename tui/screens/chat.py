"""The chat: conversation, prompt, memory side panel, status line.

A reply streams from a thread worker that posts ``ReplyChunk`` messages; a new prompt sets the
running reply's cancel flag, and the worker closes its stream at the next chunk (the partial reply
is kept and marked stopped). The worker holds the model's lock only while the reply is wanted, so
quitting or a newer prompt never waits for it. Extraction of the user's message runs in the
Assistant's background thread after the reply; its future's callback posts ``MemoryEventsReady``
to the panel (no worker waits for it, so quitting never waits either: a message whose extraction
did not finish stays pending and is remembered at the next start).
"""

from __future__ import annotations

import threading
from concurrent.futures import Future

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Input, Static
from textual.worker import get_current_worker

from localmem.tui.messages import (CatchUp, MemoryEventsReady, Notice, ReplyChunk, ReplyEdited, ReplyFinished,
                                   ReplyStarted, StatusChanged)
from localmem.tui.widgets.chat_log import AssistantMessage, ChatLog
from localmem.tui.widgets.memory_panel import MemoryPanel
from localmem.tui.widgets.status_line import StatusLine

MODES = ("on", "read-only", "off")
RESUME_SHOWN = 100  # messages drawn when a chat is resumed (the newest)


def reply_meta(status, *, stopped: bool = False, error: str | None = None) -> str:
    if error:
        return f"error: {error}"
    parts = []
    if stopped:
        parts.append("stopped")
    if status is not None and status.tokens_per_s is not None:
        parts.append(f"{status.tokens_per_s:.1f} tok/s")
    return " · ".join(parts)


class ChatScreen(Screen):
    BINDINGS = [
        Binding("ctrl+n", "new_chat", "New"),
        Binding("ctrl+o", "sessions", "Chats"),
        Binding("ctrl+b", "memories", "Memory"),
        Binding("f2", "preferences", "Prefs"),
        Binding("ctrl+r", "edit_reply", "Edit"),
        Binding("ctrl+t", "cycle_memory", "Mode"),
        Binding("ctrl+l", "choose_model", "Model"),
        Binding("ctrl+g", "toggle_adapters", "LoRA"),
        Binding("escape", "stop_reply", "Stop reply", show=False),
    ]

    def __init__(self):
        super().__init__(id="chat")
        self._seq = 0
        self._cancels: dict[int, threading.Event] = {}
        self._views: dict[int, AssistantMessage] = {}
        self._reply_lock = threading.Lock()
        self.replying: int | None = None
        self.last_extraction: int | None = None
        self.background: list[Future] = []  # extractions running outside textual's workers

    @property
    def backend(self):
        return self.app.backend

    def compose(self) -> ComposeResult:
        with Horizontal(id="chat-main"):
            yield ChatLog(id="chat-log")
            yield MemoryPanel(id="memory-panel")
        yield Input(placeholder="Message (Enter sends; a new message stops a running reply)", id="prompt")
        yield StatusLine(id="status-line")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#prompt", Input).focus()
        self.query_one(StatusLine).show(loading=self.backend.model_name or "the default model")
        self.start_backend()

    # -- workers ----------------------------------------------------------------------------------
    @work(thread=True, group="backend")
    def start_backend(self) -> None:
        try:
            status = self.backend.start()
        except Exception as exc:  # a missing model, an unreadable database: say so, keep the app up
            self.post_message(Notice(f"could not start: {exc}"))
            return
        self.post_message(StatusChanged(status))
        if self.backend.memory_mode == "on" and self.backend.pending():
            self.post_message(CatchUp(None))
            # like extraction after a reply, in a daemon thread: quitting never waits for it
            done: Future = Future()
            self.background = [f for f in self.background if not f.done()] + [done]
            threading.Thread(target=self._catch_up, args=(done,), name="localmem-catch-up", daemon=True).start()

    def _catch_up(self, done: Future) -> None:
        try:
            events = self.backend.catch_up()
        except Exception as exc:
            self._post(Notice(f"could not remember earlier messages yet: {exc}", "warning"))
            done.set_exception(exc)
            return
        self._post(CatchUp(events))
        done.set_result(events)

    def _post(self, message) -> None:
        """Post from a thread that may outlive the app (extraction finishing after a quit)."""
        try:
            self.post_message(message)
        except RuntimeError:
            pass

    def _acquire_model(self, cancel: threading.Event):
        """The model's lock, waited for while still wanted (a newer prompt or quitting gives up)."""
        self.backend.ensure_model()
        lock = self.backend.assistant.runtime.lock
        worker = get_current_worker()
        while not lock.acquire(timeout=0.1):
            if cancel.is_set() or worker.is_cancelled:
                return None
        return lock

    @work(thread=True, group="reply")
    def run_reply(self, text: str, reply_id: int, cancel: threading.Event) -> None:
        backend = self.backend
        worker = get_current_worker()
        with self._reply_lock:  # the previous reply has closed its stream before this one starts
            try:
                lock = None if cancel.is_set() else self._acquire_model(cancel)
            except Exception as exc:
                self.post_message(ReplyFinished(reply_id, "", None, error=str(exc)))
                return
            if lock is None:
                self.post_message(ReplyFinished(reply_id, "", None, stopped=True))
                return
            try:  # the model's lock is held until the reply is done: extraction runs after it
                try:
                    stream = backend.reply(text)
                except Exception as exc:
                    self.post_message(ReplyFinished(reply_id, "", None, error=str(exc)))
                    return
                self.post_message(ReplyStarted(reply_id, list(stream.memories)))
                pieces = iter(stream)
                stopped, error = False, None
                try:
                    for piece in pieces:
                        self.post_message(ReplyChunk(reply_id, piece))
                        if cancel.is_set() or worker.is_cancelled:
                            stopped = True
                            break
                except Exception as exc:
                    error = str(exc)
                finally:
                    stream.close()  # inner stream first (it owns the llama.cpp call), then ours
                    pieces.close()
                reply = stream.reply
            finally:
                lock.release()
            self.post_message(ReplyFinished(reply_id, reply.text if reply else "", backend.status(),
                                            stopped=stopped, error=error,
                                            message_id=getattr(reply, "message_id", None)))
        if reply is not None and reply.extraction is not None:
            # reported when the Assistant's extraction thread finishes; this worker ends now
            self.background = [f for f in self.background if not f.done()] + [reply.extraction]
            reply.extraction.add_done_callback(lambda future: self._extracted(reply_id, future))

    def _extracted(self, reply_id: int, future) -> None:
        try:
            result = future.result()
        except Exception as exc:
            self._post(MemoryEventsReady(reply_id, error=str(exc)))
            return
        if result is not None:
            self._post(MemoryEventsReady(reply_id, list(result.events), error=result.error, parked=result.parked))

    @work(thread=True, group="control")
    def run_control(self, fn, *args) -> None:
        try:
            status = fn(*args)
        except Exception as exc:
            self.post_message(Notice(str(exc)))
            return
        self.post_message(StatusChanged(status))

    # -- prompt -----------------------------------------------------------------------------------
    @on(Input.Submitted, "#prompt")
    async def send(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            return
        event.input.value = ""
        self.action_stop_reply()
        log = self.query_one(ChatLog)
        log.follow()
        await log.add_user(text)
        self._seq += 1
        reply_id = self._seq
        self._views[reply_id] = await log.add_assistant(reply_id=reply_id)
        self._cancels[reply_id] = cancel = threading.Event()
        self.replying = reply_id
        self.query_one(StatusLine).show(replying=True)
        self.run_reply(text, reply_id, cancel)

    def action_stop_reply(self) -> None:
        if self.replying is not None:
            self._cancels[self.replying].set()

    # -- worker messages --------------------------------------------------------------------------
    async def on_reply_started(self, message: ReplyStarted) -> None:
        panel = self.query_one(MemoryPanel)
        if self.backend.memory_mode == "on":
            await panel.show_pending(len(message.recalled))
        else:
            panel.show_recalled(len(message.recalled))

    async def on_reply_chunk(self, message: ReplyChunk) -> None:
        view = self._views.get(message.reply_id)
        if view is not None:
            await view.append(message.text)

    async def on_reply_finished(self, message: ReplyFinished) -> None:
        view = self._views.pop(message.reply_id, None)
        self._cancels.pop(message.reply_id, None)
        if view is not None:
            view.message_id = message.message_id
            await view.finish(reply_meta(message.status, stopped=message.stopped, error=message.error))
        if message.error:
            self.notify(message.error, title="Reply failed", severity="error")
        if self.replying == message.reply_id:
            self.replying = None
            self.query_one(StatusLine).show(message.status, replying=False)

    async def on_memory_events_ready(self, message: MemoryEventsReady) -> None:
        self.last_extraction = message.reply_id
        if message.reply_id != self._seq:
            return  # a newer message is being remembered: the panel shows that one
        panel = self.query_one(MemoryPanel)
        if message.parked or (message.error and not message.events):
            await panel.show_failure(message.error or "malformed model output")
        else:
            await panel.show_events(message.events)

    async def on_catch_up(self, message: CatchUp) -> None:
        panel = self.query_one(MemoryPanel)
        if message.events is None:
            await panel.reset("Remembering messages from last time…")
        elif self.last_extraction is None and self._seq == 0:  # nothing newer on the panel yet
            await panel.show_events(message.events, heading="From last time:")

    def on_status_changed(self, message: StatusChanged) -> None:
        self.query_one(StatusLine).show(message.status, replying=self.replying is not None)

    def on_notice(self, message: Notice) -> None:
        self.notify(message.text, severity=message.severity, timeout=8)
        line = self.query_one(StatusLine)
        if line.loading:
            line.show(loading=None)
            line.update(f"not ready: {message.text}")

    # -- controls ---------------------------------------------------------------------------------
    async def action_new_chat(self) -> None:
        self.action_stop_reply()
        self.backend.new_chat()
        await self.query_one(ChatLog).clear()
        await self.query_one(MemoryPanel).reset("New chat.")
        self.app.sub_title = ""

    async def set_memory_mode(self, mode: str) -> None:
        self.run_control(self.backend.set_memory_mode, mode)
        panel = self.query_one(MemoryPanel)
        if mode == "on":
            await panel.reset("Memory on: what you say is remembered.")
        await panel.show_mode(mode)
        self.notify(f"memory {mode}", timeout=2)

    async def action_cycle_memory(self) -> None:
        current = self.backend.memory_mode
        await self.set_memory_mode(MODES[(MODES.index(current) + 1) % len(MODES)])

    def action_toggle_adapters(self) -> None:
        self.set_adapters(not self.backend.adapters_enabled)

    def _daemon_owns_model(self, what: str) -> bool:
        """Via the daemon, the model and its adapters are the daemon's: say so instead of switching."""
        if not self.backend.via_daemon:
            return False
        self.notify(f"{what} owned by the daemon (localmem serve): restart it with `localmem serve -m MODEL` "
                    "to change it, or run the app in-process with LOCALMEM_NO_DAEMON=1.",
                    title="Via daemon", severity="warning", timeout=6)
        return True

    def set_adapters(self, enabled: bool) -> None:
        if self._daemon_owns_model("The model and its adapters are"):
            return
        self.run_control(self.backend.set_adapters, enabled)
        self.notify(f"adapters {'on' if enabled else 'off'}", timeout=2)

    def action_choose_model(self) -> None:
        if self._daemon_owns_model("The model is"):
            return
        self.load_model_choices()

    @work(thread=True, group="control")
    def load_model_choices(self) -> None:
        try:
            choices = self.backend.models()
        except Exception as exc:
            self.post_message(Notice(str(exc)))
            return
        self.app.call_from_thread(self._ask_model, choices)

    def _ask_model(self, choices) -> None:
        from localmem.tui.screens.dialogs import ChoiceDialog

        options = [(c.name, f"{c.name}  {c.description}") for c in choices]
        current = next((c.name for c in choices if c.current), None)
        self.app.push_screen(ChoiceDialog("Chat model", options, current), self.switch_model)

    def switch_model(self, name: str | None) -> None:
        if not name or name == self.backend.model_name:
            return
        self.action_stop_reply()
        self.query_one(StatusLine).show(loading=name)
        self.run_control(self.backend.load_model, name)

    def action_sessions(self) -> None:
        from localmem.tui.screens.sessions import SessionsScreen

        self.app.push_screen(SessionsScreen(), self.resume)

    def action_memories(self) -> None:
        from localmem.tui.screens.memories import MemoryBrowser

        self.app.push_screen(MemoryBrowser())

    def action_preferences(self) -> None:
        from localmem.tui.screens.preferences import PreferencesScreen

        self.app.push_screen(PreferencesScreen())

    def action_edit_reply(self) -> None:
        """Edit the last reply: the edit is kept and teaches how replies should be written."""
        from localmem.tui.screens.dialogs import TextDialog

        view = self.query_one(ChatLog).last_reply()
        if view is None or self.replying is not None or not view.text:
            self.notify("No finished reply to edit yet.", timeout=3)
            return
        if view.message_id is None:
            self.notify("This reply was not stored (memory was not on), so an edit cannot be learnt from.",
                        timeout=4)
            return

        def done(text: str | None) -> None:
            if text and text.strip() != view.text.strip():
                self.save_edit(view, text)

        self.app.push_screen(TextDialog("Edit the reply the way you would have liked it (Ctrl+S saves)",
                                        view.text, multiline=True), done)

    @work(thread=True, group="control")
    def save_edit(self, view: AssistantMessage, text: str) -> None:
        try:
            moved = self.backend.edit_reply(view.message_id, view.text, text)
        except Exception as exc:
            self.post_message(Notice(f"edit not saved: {exc}"))
            return
        self.post_message(ReplyEdited(view, text, moved))

    async def on_reply_edited(self, message: ReplyEdited) -> None:
        await message.view.replace_text(message.text, "edited by you")
        await self.query_one(MemoryPanel).show_preference_change(message.moved)

    def resume(self, session_id: str | None) -> None:
        if session_id:
            self.action_stop_reply()
            self.load_session(session_id)

    @work(thread=True, group="control")
    def load_session(self, session_id: str) -> None:
        try:
            session, messages = self.backend.resume(session_id)
        except Exception as exc:
            self.post_message(Notice(str(exc)))
            return
        self.app.call_from_thread(self._show_session, session, messages)
        self.post_message(StatusChanged(self.backend.status()))

    async def _show_session(self, session, messages) -> None:
        log = self.query_one(ChatLog)
        await log.clear()
        shown = [m for m in messages if m.role in ("user", "assistant")]
        if len(shown) > RESUME_SHOWN:
            await log.mount(Static(f"… {len(shown) - RESUME_SHOWN} earlier messages (all kept in memory)",
                                   classes="earlier-note"))
            shown = shown[-RESUME_SHOWN:]
        for m in shown:
            if m.role == "user":
                await log.add_user(m.content)
            elif m.role == "assistant":
                await log.add_assistant(m.content, message_id=m.id)
        log.follow()
        self.app.sub_title = session.title
        panel = self.query_one(MemoryPanel)
        await panel.reset(f"Resumed “{session.title}”.")
