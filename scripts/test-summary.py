#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""test-summary.py BUILD... - add up the meson test results of the given build
directories (meson-logs/testlog.json) and print one closing line
"check: N passed, N failed, N skipped".  Exit 1 if anything failed or no test ran."""
import json
import os
import sys

passed = failed = skipped = 0
for build in sys.argv[1:]:
    path = os.path.join(build, "meson-logs", "testlog.json")
    if not os.path.exists(path):
        print(f"test-summary: no test log in {build}", file=sys.stderr)
        failed += 1
        continue
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            res = json.loads(line).get("result", "")
            if res in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif res == "SKIP":
                skipped += 1
            else:
                failed += 1
print(f"check: {passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed or passed == 0 else 0)
