"""Everything on disk in an index folder: the SQLite store, the FAISS files derived from it, the write lock, checks and repairs. The only code that writes SQL or touches the folder's files."""
