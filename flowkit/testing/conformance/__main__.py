"""``python -m flowkit.testing.conformance dump OUT.pkl``: run the fixed cross-backend case set
on this process's backend (``FLOWKIT_BACKEND``) and pickle what happened (flowkit's own suite
compares one such file per backend)."""

import sys

from .core import dump

if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "dump":
        dump(sys.argv[2])
    else:
        raise SystemExit("usage: python -m flowkit.testing.conformance dump OUT.pkl")
