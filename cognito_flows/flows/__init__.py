"""One module per flow: its data, its state specs, its transition table, its decisions.

:data:`FLOWS` is the explicit list of every flow table, in the order a user meets them; the
CLI's ``diagram`` command and the docs are generated from it.
"""

from __future__ import annotations

from ._table import FlowTable
from .forgot_password import FORGOT_PASSWORD
from .sign_in import SIGN_IN
from .sign_up import SIGN_UP
from .totp_setup import TOTP_SETUP
from .verify_attribute import VERIFY_ATTRIBUTE

__all__ = ["FLOWS"]

#: Every flow table.
FLOWS: tuple[FlowTable, ...] = (SIGN_UP, SIGN_IN, FORGOT_PASSWORD, TOTP_SETUP, VERIFY_ATTRIBUTE)
