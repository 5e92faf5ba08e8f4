"""``python -m bananas``: the ``bananas`` command."""

from bananas.cli import main

main()
