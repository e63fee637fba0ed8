"""The localmem daemon: one process holds the models and writes the database; clients talk to it
over a Unix socket (``localmem serve``; ``localmem.client.RemoteMemory`` / ``RemoteAssistant``).

Modules: ``config`` (settings), ``lifecycle`` (runtime dir, socket lock, token, logging),
``jobs`` (the persisted work queue), ``worker`` (the model worker and job loop), ``consolidate``
(sleep-time work), ``schemas`` (request bodies), ``app`` (HTTP routes and the guard middleware),
``metrics`` (latencies, tokens/s), ``main`` (serving it), ``scripted`` (a deterministic stand-in
model for tests).
"""
