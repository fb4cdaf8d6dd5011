"""Real embedding models on the LIMIT datasets, beside the free embeddings.

backends (each backend's facts: its import, its machines, its model's
dimension; no model library imported), settings (the config's embedders
checked), encoders (loading a model and encoding, offline), files (the
embeddings' .npz), quantize (Matryoshka truncation, int8 and binary, the
ranking), results (the table) and plots (the figure).
"""
