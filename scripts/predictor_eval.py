"""Rank correlation of a predictor + encoding (thin wrapper of ``bananas predictor-eval``)."""

import sys

from bananas.cli import main

if __name__ == "__main__":
    main(["predictor-eval", *sys.argv[1:]])
