"""``python -m cdccheck``: the same command line as the ``cdccheck`` script."""

from cdccheck.cli import main

main()
