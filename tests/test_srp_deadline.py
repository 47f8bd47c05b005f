"""A sign-in whose PASSWORD_VERIFIER answer could only arrive after its Cognito session
expires fails fast with SrpDeadlineError (end to end, against the local Cognito)."""

from __future__ import annotations

from cognito_flows import SrpDeadlineError, SrpExecutor

from .conftest import PASSWORD, PoolFactory


async def test_verifier_too_late_for_its_session_fails_fast(pools: PoolFactory) -> None:
    # The driver passes the session's expiry as the SRP deadline: with a 0.5 s session and
    # a 1 s safety margin, the answer can never be in time, so it is not computed or sent.
    pool = await pools.pool(session_validity=0.5, srp_executor=SrpExecutor(deadline_margin=1.0))
    await pools.user(pool, "alice")
    step = await pool.sign_in_flow("alice", PASSWORD).start()
    assert step.state == "FAILED"
    assert isinstance(step.error, SrpDeadlineError)
    # the same user signs in when the session leaves time for the answer
    fine = await pools.pool(srp_executor=SrpExecutor(deadline_margin=1.0))
    await pools.user(fine, "bob")
    assert (await fine.sign_in_flow("bob", PASSWORD).start()).state == "DONE"
