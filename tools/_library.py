"""Puts the workflow's library (workflow/scripts/embedding_limits) on sys.path.

The tools here are run by hand (``python tools/NAME.py``) from any directory;
``import _library`` first thing lets them import ``embedding_limits`` and the
rules' entry points as the rules do, without an install step.
"""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPTS = os.path.join(ROOT, "workflow", "scripts")
if SCRIPTS not in sys.path:
    sys.path.insert(0, SCRIPTS)
