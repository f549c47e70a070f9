"""``python -m shotreel.cli``: the same as the ``shotreel`` command."""

import sys

from . import main

sys.exit(main())
