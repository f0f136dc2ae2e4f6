"""The web server: a JSON API and a search page over one archive, on the same library
the command line uses (`create_app`; `newssearch serve` runs it with uvicorn)."""

from .app import create_app

__all__ = ["create_app"]
