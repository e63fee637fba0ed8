"""``python -m localmem`` runs the ``localmem`` command."""

from localmem.cli import main

main()
