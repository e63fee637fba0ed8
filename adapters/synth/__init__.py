"""Synthetic multi-session conversations with gold memories, for training the memory adapters.

Modules (one job each):

- ``pools``: the slot values (names, cities, jobs, foods, ...) the templates draw from;
- ``draft``: the small types the fact templates return (``Draft`` memories, ``Piece`` of a turn) and
  the per-conversation context (``Ctx``: seeded RNG, session date, relative-date phrases);
- ``facts_life`` / ``facts_taste``: the fact templates (what a user says, what should be remembered,
  how it can later change, be corrected or be repeated);
- ``chatter``: turns that must yield nothing (small talk, questions, remarks about other people)
  and assistant replies;
- ``conversation``: assembles personas and dated sessions into ``localmem.eval.devset.Conversation``
  objects (the dev set's own validated schema, so the gold labels are checked the same way);
- ``examples``: conversation -> training examples for ``extract``, ``update`` and ``answer``, in
  exactly the chat format the pipeline sends with ``prompt="short"``;
- ``build``: the command line that writes the persona-split JSONL files and the data card.

Everything is seeded and deterministic. The generator refuses the evaluation set's persona names
(``localmem.eval.devset.eval_persona_names``) and never reads its conversations.
"""
