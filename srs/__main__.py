"""`python -m srs`: the same as the `srs` command."""

from srs.cli import main

main()
