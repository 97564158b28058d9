"""Sums Nsight Compute's per-launch gpu__time_duration (CSV) by kernel and prints microseconds per
step over argv[2] profiled steps."""
import csv
import re
import sys
from collections import defaultdict


def main(path, steps):
    total, count = defaultdict(float), defaultdict(int)
    with open(path, newline="") as f:
        rows = [r for r in csv.reader(f) if len(r) > 5]
    if not rows:
        print("  no profile rows (see the .err file)")
        return 1
    header = rows[0]
    name_at, metric_at, value_at, unit_at = (header.index(k) for k in ("Kernel Name", "Metric Name", "Metric Value", "Metric Unit"))
    for r in rows[1:]:
        if r[metric_at] != "gpu__time_duration.sum":
            continue
        name = re.sub(r"<.*", "", re.sub(r"^void ", "", r[name_at]))
        name = re.sub(r"\(.*", "", name).split("::")[-1]
        scale = {"nsecond": 1e-3, "ns": 1e-3, "usecond": 1.0, "us": 1.0, "msecond": 1e3, "ms": 1e3}[r[unit_at]]
        total[name] += float(r[value_at].replace(",", "")) * scale
        count[name] += 1
    launches = sum(count.values()) / steps
    print(f"  {steps} steps, {launches:.0f} launches and {sum(total.values()) / steps:.1f} us of kernel time per step")
    for name in sorted(total, key=total.get, reverse=True)[:14]:
        print(f"  {total[name] / steps:9.1f} us  {count[name] / steps:5.1f}x  {total[name] / count[name]:7.2f} us each  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2])))
