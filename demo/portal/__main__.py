"""python -m demo.portal --port 8700 [--size N] [--corpus DIR] [--seed 7]

Serves the demo portal on 127.0.0.1 until Ctrl-C and prints the site URLs."""

from __future__ import annotations

import argparse
import sys
import threading

from demo.portal import DemoPortal


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m demo.portal", description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=8700, help="port on 127.0.0.1 (0 = any free port)")
    ap.add_argument("--size", type=int, default=1, help="multiplies the generated reports (26 → over 2,000)")
    ap.add_argument("--corpus", default=None, help="corpus directory for the 'real' site (../shared/corpus)")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    portal = DemoPortal(size=args.size, corpus_dir=args.corpus, port=args.port, seed=args.seed)
    try:
        portal.start()
    except OSError as exc:
        print(f"cannot listen on 127.0.0.1:{args.port}: {exc}", file=sys.stderr)
        return 1
    manifest = portal.manifest()
    total = sum(len(e["reports"]) for e in manifest.values())
    print(f"nianbao demo portal on {portal.base_url}/ (size {args.size}, seed {args.seed}, {total} reports)")
    print(f"  robots.txt: {portal.base_url}/robots.txt")
    for row in portal.sites():
        key = row["notes"].split("'")[1] if "'" in row["notes"] else ""
        column = row["column_url"] or "(found from the home page by link text)"
        print(f"  {key:8} {row['agency']}\n           portal {row['portal_url']}\n           column {column}")
    stop = threading.Event()
    try:
        print("Ctrl-C to stop.", flush=True)  # inside the try: a Ctrl-C right after it is still a clean stop
        while not stop.wait(3600):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        portal.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
