"""Benchmark methods on a tabular space (thin wrapper of ``bananas benchmark``)."""

import sys

from bananas.cli import main

if __name__ == "__main__":
    main(["benchmark", *sys.argv[1:]])
