"""``python -m bench [--only NAME] [--data DIR]``: run the benchmarks and print one table."""
from __future__ import annotations

import argparse
import importlib
import os
import sys
import tempfile

BENCHMARKS = ("bench.generate_bench", "bench.cleanse_bench", "bench.check_bench")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", help="run only the benchmark whose module name contains this")
    parser.add_argument("--data", help="working directory for generated data (default: a temporary one)")
    args = parser.parse_args(argv)
    if args.data:
        os.makedirs(args.data, exist_ok=True)
    rows = []
    for name in BENCHMARKS:
        if args.only and args.only not in name:
            continue
        module = importlib.import_module(name)
        with tempfile.TemporaryDirectory(prefix="cdr-bench-", dir=args.data) as work:
            rows.extend(module.run(work))
    width = max(len(r[0]) for r in rows) if rows else 10
    print()
    print(f"{'benchmark / figure':<{width}}  {'value':>14}  unit")
    print("-" * (width + 24))
    for label, value, unit in rows:
        shown = f"{value:,.2f}" if isinstance(value, float) else f"{value:,}"
        print(f"{label:<{width}}  {shown:>14}  {unit}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
