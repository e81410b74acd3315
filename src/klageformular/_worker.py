"""Entry point of a batch worker process (``python -m klageformular._worker CONFIG``); see :mod:`._pool`."""

import json
import sys

from klageformular._pool import worker_main

if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m klageformular._worker CONFIG_JSON (started by klageformular batch)")
    worker_main(json.loads(sys.argv[1]))
