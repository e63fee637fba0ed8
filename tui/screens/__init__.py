"""Screens of the terminal app: they handle widgets' messages and run backend work in workers."""
