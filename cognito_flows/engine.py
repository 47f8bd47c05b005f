"""Former home of the flow engine, kept so that ``cognito_flows.engine`` imports still work.

The table machinery is :mod:`cognito_flows.flows._table`, the step vocabulary
:mod:`cognito_flows.steps`, handler mode :mod:`cognito_flows.handlers`.
"""

from __future__ import annotations

from .flows._table import TRANSIENT_CODES, FlowMachine, FlowTable, State, Transition
from .handlers import Handlers, StepFlow, run_with_handlers
from .steps import CodeDelivery, Step, TotpSetup, require_code, require_text

__all__ = [
    "TRANSIENT_CODES",
    "CodeDelivery",
    "FlowMachine",
    "FlowTable",
    "Handlers",
    "State",
    "Step",
    "StepFlow",
    "TotpSetup",
    "Transition",
    "require_code",
    "require_text",
    "run_with_handlers",
]
