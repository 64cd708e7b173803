#!/usr/bin/env python3
"""Prints one plain line, 'N passed, N failed, N skipped', from meson test logs."""
import json
import sys

RESULTS = {
    "OK": "passed",
    "EXPECTEDFAIL": "passed",
    "SKIP": "skipped",
}

counts = {"passed": 0, "failed": 0, "skipped": 0}
for path in sys.argv[1:]:
    try:
        with open(path, encoding="utf-8") as log:
            for line in log:
                line = line.strip()
                if line:
                    result = json.loads(line).get("result", "FAIL")
                    counts[RESULTS.get(result, "failed")] += 1
    except OSError as error:
        print(f"cannot read {path}: {error.strerror}", file=sys.stderr)
        counts["failed"] += 1

print(f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped")
