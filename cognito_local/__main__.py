"""``python -m cognito_local``: see :mod:`cognito_local.cli`."""

from __future__ import annotations

from .cli import main

raise SystemExit(main())
