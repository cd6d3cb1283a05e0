#!/usr/bin/env python3
"""Extracts indicators from a file with a Python extractor and prints how many it found.

Usage: py_extract.py iocextract|ioc-finder FILE
"""

import sys


def main():
    tool, path = sys.argv[1], sys.argv[2]
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    if tool == "iocextract":
        import iocextract

        count = sum(1 for _ in iocextract.extract_iocs(text, refang=True))
    else:
        import ioc_finder

        found = ioc_finder.find_iocs(text)
        count = sum(len(values) for values in found.values() if isinstance(values, list))
    print(count)


if __name__ == "__main__":
    main()
