#!/usr/bin/env python3
"""Compares a shoal JSONL output of data/example-urls.txt with tools/example-expected.tsv.

usage: check_example.py RESULTS.jsonl
Prints one line per mismatch and a summary; exits 1 if anything differs.
"""
import json
import os
import sys
from decimal import Decimal

HERE = os.path.dirname(os.path.abspath(__file__))


def load_expected():
    rows = {}
    with open(os.path.join(HERE, "example-expected.tsv"), encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#") or line.startswith("line\t") or not line.strip():
                continue
            ln, _url, status, title, amount, currency = line.rstrip("\n").split("\t")
            rows[int(ln)] = (status, title, amount, currency)
    return rows


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    expected = load_expected()
    got = {}
    with open(sys.argv[1], encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            if r["line"] in got:
                print("duplicate record for line", r["line"])
                sys.exit(1)
            got[r["line"]] = r
    bad = 0
    for ln, (status, title, amount, currency) in sorted(expected.items()):
        r = got.get(ln)
        if r is None:
            print(f"line {ln}: no record")
            bad += 1
            continue
        price = r.get("price") or {}
        have = (
            "-" if r["status"] is None else str(r["status"]),
            r["title"] if r["title"] is not None else "-",
            price.get("amount") or "-",
            price.get("currency") or "-",
        )
        want_amount = amount if amount == "-" else Decimal(amount)
        have_amount = have[2] if have[2] == "-" else Decimal(have[2])
        if (have[0], have[1], have_amount, have[3]) != (status, title, want_amount, currency):
            print(f"line {ln}: got {have}, want {(status, title, amount, currency)}")
            bad += 1
    extra = set(got) - set(expected)
    for ln in sorted(extra):
        print(f"line {ln}: unexpected record")
        bad += 1
    print(f"example check: {len(expected) - bad} of {len(expected)} records as expected")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
