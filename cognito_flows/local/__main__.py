"""``python -m cognito_flows.local``: see :mod:`cognito_flows.local.cli`."""

from __future__ import annotations

from .cli import main

raise SystemExit(main())
