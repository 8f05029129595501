"""`python -m <package>`: the runner."""

import sys

from .runner import main

sys.exit(main())
