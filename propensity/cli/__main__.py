"""`python -m propensity.cli`: the same command as `propensity`."""

import sys

from propensity.cli._main import main

sys.exit(main())
