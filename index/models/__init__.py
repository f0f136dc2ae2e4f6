"""Embedding models: the sentence-transformers embedder, the light ONNX query model, and the number format (precision) they compute in."""
