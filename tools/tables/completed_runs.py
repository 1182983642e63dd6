"""Loading the finished runs that one table row stands for (shared by the tables' scripts)."""

import glob
import json
import os
import sys


def completed_runs(pattern):
    """(folder, summary) of every run folder matching the glob, each a completed run; exits with a clear error otherwise."""
    folders = sorted(glob.glob(pattern))
    if not folders:
        sys.exit(f"error: {pattern} matches no run folder")
    runs = []
    for f in folders:
        path = os.path.join(f, "summary.json")
        if not os.path.exists(path):
            sys.exit(f"error: {f} has no summary.json (is it a finished run?)")
        with open(path) as fh:
            s = json.load(fh)
        if s.get("status") != "completed":
            sys.exit(f"error: {f} is {s.get('status')!r}, not a completed run")
        runs.append((f, s))
    return runs
