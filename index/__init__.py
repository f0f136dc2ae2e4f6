"""Ingest side of newssearch: reading archives, paragraphs, embeddings, storage."""
