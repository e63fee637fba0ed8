"""Widgets of the terminal app: they show state and post messages; they never touch the database."""
