"""Trust tests: hostile input from outside, on every path."""

from support.desk import desk  # noqa: F401  (fixture)
