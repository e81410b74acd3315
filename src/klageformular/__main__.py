"""``python -m klageformular``: the same as the ``klageformular`` command."""

import sys

from .cli import main

sys.exit(main())
