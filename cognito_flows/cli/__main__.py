"""``python -m cognito_flows.cli``: the same as the ``cognito-flows`` command."""

import sys

from . import main

sys.exit(main())
