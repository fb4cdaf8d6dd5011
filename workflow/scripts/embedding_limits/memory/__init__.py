"""Memory: sizes (what each job needs), limits (what the machine and the
cluster allow) and budget (a config's jobs against the memory one job may
have, checked before any job)."""
