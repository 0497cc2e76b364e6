"""Bench: X's weighted length on hostile texts of growing size, uncapped, and a capped refusal of 100 KB.

    .venv/bin/python bench/x_counting.py [--sizes 10000,20000,40000,80000]

Prints seconds per text and per 1,000 characters: flat per-1,000 figures mean linear time (twitter-text's
own URL pattern, and the portal's counter before it, grew with the square of the length here).
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from queues.platforms.x.counting import parse, weighted_length  # noqa: E402

KINDS = {
    '"b." repeated': lambda n: "b." * (n // 2),
    '"a." after http://': lambda n: "http://" + "a." * (n // 2),
    "emoji + joiners": lambda n: "👍" + "\u200d" * n,
    "parenthesised paths": lambda n: "a.com/(" * (n // 7),
    "bare domains": lambda n: "x.com " * (n // 6),
    "prose": lambda n: "Could you clear the cache and restart Firefox? " * (n // 47),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,20000,40000,80000")
    sizes = [int(size) for size in parser.parse_args().sizes.split(",")]
    print(f"{'text':22} {'chars':>8} {'seconds':>8} {'ms/1000 chars':>14}")
    for name, make in KINDS.items():
        for size in sizes:
            text = make(size)
            start = time.perf_counter()
            weighted_length(text)
            seconds = time.perf_counter() - start
            print(f"{name:22} {len(text):8} {seconds:8.3f} {seconds * 1e6 / len(text):14.2f}")
    text = "b." * 50_000
    start = time.perf_counter()
    parse(text)
    print(f"{'parse(100 KB), capped':22} {len(text):8} {time.perf_counter() - start:8.6f}")


if __name__ == "__main__":
    main()
