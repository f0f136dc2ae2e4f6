"""Helpers for testing newssearch and code built on it: a fake embedder, generated
archives (hostile, web-archive, crash-test), and child processes that write or read an
index while a test watches. Used by tests/ and benchmarks/."""
