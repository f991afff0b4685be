"""Placeholder: removes the rfc3987-syntax import cost from .venv (see issue 2)."""
import sys

if __name__ == "__main__":
    sys.exit(0)
