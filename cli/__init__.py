"""The `newssearch` command line: a thin Typer layer over `newssearch.Archive`."""
