"""Real embedding models on the LIMIT datasets, beside the free embeddings.

backends (each backend's facts: its import, its machines, its model's
dimension; no model library imported), checks (the config's embedders
checked, and which of them can run here), encoders (loading a model and
encoding, offline), vectors (the embeddings' .npz), quantize (Matryoshka
truncation, int8 and binary, the ranking) and job_resources (what an
embedding job is given). Their table and figure are the reports room's.
"""
