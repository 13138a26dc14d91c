#!/usr/bin/env python3
"""Writes two shoal JSONL runs of N records each, for measuring `shoal diff`.

usage: diff_runs.py DIR [N]      (N: 1000000 by default)
Writes DIR/old.jsonl and DIR/new.jsonl, as `shoal crawl` writes them: URLs of
about 57 bytes on 997 hosts, titles of about 28 bytes, a price on each page.
In NEW, 1 % of the prices changed, 0.5 % of OLD's URLs are gone and 0.5 % are
new, and every 10,000th record is repeated. Fixed seed: the same files each time.
"""
import json
import os
import random
import sys


def record(line, url, title, amount):
    price = {"amount": amount, "currency": "USD", "raw": "$" + amount}
    return json.dumps({"line": line, "url": url, "final_url": url, "status": 200,
                       "elapsed_ms": 12.5, "bytes": 48213, "attempts": 1, "title": title,
                       "price": price, "fields": {}, "error": None},
                      separators=(",", ":")) + "\n"


def amount(rng):
    return "%d.%02d" % (rng.randint(1, 2000), rng.randint(0, 99))


def main(argv):
    if len(argv) not in (2, 3):
        sys.exit(__doc__)
    out_dir, n = argv[1], int(argv[2]) if len(argv) == 3 else 1_000_000
    os.makedirs(out_dir, exist_ok=True)
    rng = random.Random(7)
    with open(os.path.join(out_dir, "old.jsonl"), "w") as old, \
         open(os.path.join(out_dir, "new.jsonl"), "w") as new:
        for i in range(n):
            url = "https://shop%d.example.com/products/item-%d.html?ref=list" % (i % 997, i)
            title = "Product %d | Example Shop %d" % (i, i % 997)
            price = amount(rng)
            r = rng.random()
            if r < 0.995:
                old.write(record(i + 1, url, title, price))
            if r < 0.005:
                continue  # gone from NEW
            if rng.random() < 0.01:
                price = amount(rng)
            new.write(record(i + 1, url, title, price))
            if i % 10000 == 0:
                new.write(record(i + 1, url, title, price))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
