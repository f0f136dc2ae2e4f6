"""Query side of newssearch: dense, keyword and hybrid search, filters, evaluation."""
