"""Lab 5 autograder: load → run in sandbox → check → score → report."""

__version__ = "0.1.0"
