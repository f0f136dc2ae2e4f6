"""Readers of every input format: files and folders become articles (title, text, date, source, ...)."""
