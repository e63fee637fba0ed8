"""The conversation: user messages as plain text, replies as Markdown streamed chunk by chunk."""

from __future__ import annotations

from textual.containers import Vertical, VerticalScroll
from textual.widgets import Markdown, Static
from textual.widgets._markdown import MarkdownStream


class UserMessage(Static):
    def __init__(self, text: str):
        super().__init__(text, markup=False, classes="user-message")
        self.text = text


class AssistantMessage(Vertical):
    """One reply. ``append`` adds a chunk to the Markdown document (only its last block is
    re-parsed), never re-rendering the whole reply per token."""

    def __init__(self, text: str = "", *, reply_id: int | None = None, message_id: str | None = None):
        super().__init__(classes="assistant-message")
        self.reply_id = reply_id
        self.message_id = message_id  # the logged reply (None when memory did not store it)
        self.text = text
        self._initial = text
        self._stream: MarkdownStream | None = None

    def compose(self):
        yield Markdown(self._initial, classes="reply-body")
        yield Static("", classes="reply-meta", markup=False)

    @property
    def body(self) -> Markdown:
        return self.query_one(".reply-body", Markdown)

    async def append(self, chunk: str) -> None:
        if self._stream is None:
            self._stream = Markdown.get_stream(self.body)
        self.text += chunk
        await self._stream.write(chunk)

    async def finish(self, meta: str = "") -> None:
        if self._stream is not None:
            await self._stream.stop()
            self._stream = None
        self.set_meta(meta)

    def set_meta(self, meta: str) -> None:
        label = self.query_one(".reply-meta", Static)
        label.update(meta)
        label.display = bool(meta)

    async def replace_text(self, text: str, meta: str = "") -> None:
        """Show an edited reply (the whole document is replaced once)."""
        self.text = text
        await self.body.update(text)
        self.set_meta(meta)


class ChatLog(VerticalScroll):
    """Scrolls with the reply only while the user is at the bottom (textual's anchor)."""

    def on_mount(self) -> None:
        self.anchor()

    async def add_user(self, text: str) -> UserMessage:
        view = UserMessage(text)
        await self.mount(view)
        return view

    async def add_assistant(self, text: str = "", reply_id: int | None = None,
                            message_id: str | None = None) -> AssistantMessage:
        view = AssistantMessage(text, reply_id=reply_id, message_id=message_id)
        await self.mount(view)
        return view

    def follow(self) -> None:
        """Jump to the bottom and follow new content again (after the user sends a prompt)."""
        self.anchor()

    def last_reply(self) -> AssistantMessage | None:
        replies = list(self.query(AssistantMessage))
        return replies[-1] if replies else None

    async def clear(self) -> None:
        await self.remove_children()
