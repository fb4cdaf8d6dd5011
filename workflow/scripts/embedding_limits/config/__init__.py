"""The config and the values it becomes: schema (reading and checking any
YAML config), load (the workflow's config checked, its protocols and datasets
built once), sections (what a checked config's sections mean), protocol (an
optimisation protocol, the one home of its defaults), loss_facts, run_settings
(one job's settings), witness_choices, images (the containers a config
needs) and reference (docs/config.md)."""
