#!/usr/bin/env python3
"""Write docs/config.md, the config reference, from the schema and Protocol.

.venv/bin/python tools/config_reference.py          # writes docs/config.md
.venv/bin/python tools/config_reference.py --check  # exit 1 if it is stale
"""

import argparse
import os
import sys

import _library  # noqa: F401  (puts the library on sys.path)
from embedding_limits.config.reference import render
from embedding_limits.config.schema import read_yaml
from embedding_limits.files import write_text_atomic

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCHEMA = os.path.join(ROOT, "workflow", "schemas", "config.schema.yaml")
PAGE = os.path.join(ROOT, "docs", "config.md")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--check", action="store_true", help="only say whether it is stale")
    args = p.parse_args(argv)
    page = render(read_yaml(SCHEMA))
    if args.check:
        current = open(PAGE, encoding="utf-8").read() if os.path.exists(PAGE) else ""
        if current != page:
            print(f"{PAGE} is stale: run tools/config_reference.py", file=sys.stderr)
            return 1
        return 0
    write_text_atomic(PAGE, page)
    print(f"wrote {PAGE}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
