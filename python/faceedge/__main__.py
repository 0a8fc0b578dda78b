"""``python -m faceedge``: the same as the ``faceedge`` command."""
import sys

from .cli import main

sys.exit(main())
