"""Near-duplicate detection: exact, lexical (MinHash LSH) and semantic (embeddings), plus decontamination."""
