"""localmem's terminal chat app (textual), installed as ``localmem.tui``.

The app itself lands with the terminal-UI issue; until then ``localmem chat`` is a plain REPL.
"""
