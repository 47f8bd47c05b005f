"""``cognito-flows sign-in``: sign in, answering every challenge on the terminal."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..inputs import require_username
from ..steps import NewPassword, Step
from ..tokens import TokenSet
from .common import Terminal, add_connection_options, open_pool, run_async

__all__ = ["TerminalHandlers", "qr_for_terminal", "register"]

_FLOWS = ("srp", "password", "custom", "custom-srp", "user-auth")


def register(sub: Any) -> None:
    """Add the ``sign-in`` subcommand."""
    parser: argparse.ArgumentParser = sub.add_parser(
        "sign-in",
        help="sign in and print the tokens",
        description="Sign in to a user pool, answering every challenge Cognito asks on the "
        "terminal (or one line of stdin per answer when stdin is not a terminal).",
    )
    parser.add_argument("--username", required=True, help="user name or alias")
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of stdin",
    )
    parser.add_argument("--flow", choices=_FLOWS, default="srp", help="auth flow (default srp)")
    parser.add_argument(
        "--preferred-challenge",
        default=None,
        help="USER_AUTH first factor: PASSWORD, PASSWORD_SRP, EMAIL_OTP, SMS_OTP",
    )
    parser.add_argument("--json", action="store_true", help="print the tokens as one JSON object")
    parser.add_argument(
        "--save",
        metavar="FILE",
        help="save the tokens to FILE (mode 0600) instead of printing them (--json prints too)",
    )
    remember = parser.add_mutually_exclusive_group()
    remember.add_argument(
        "--remember-device",
        dest="remember",
        action="store_true",
        default=None,
        help="remember this device without asking",
    )
    remember.add_argument(
        "--no-remember-device",
        dest="remember",
        action="store_false",
        help="never remember this device",
    )
    add_connection_options(parser)
    parser.set_defaults(run=_run)


def qr_for_terminal(text: str) -> str:
    """``text`` as a QR code for any terminal: dark modules on light ones in colours set
    explicitly (black on white), quiet zone included, two rows per line of half blocks.

    segno's own compact output draws light modules in the terminal's foreground colour, so
    on a light-background terminal the code comes out inverted with a dark quiet zone, which
    phone scanners reject; setting both colours makes it the same on every theme.
    """
    import segno

    qr = segno.make(text, error="m")
    rows = [list(row) for row in qr.matrix_iter(scale=1, border=4)]  # 1 = dark, with border
    if len(rows) % 2:
        rows.append([0] * len(rows[0]))  # the quiet zone continues below
    # Foreground black (30) draws the dark modules, background bright white (107) the light.
    glyph = {(0, 0): " ", (1, 0): "\u2580", (0, 1): "\u2584", (1, 1): "\u2588"}
    lines = []
    for top, bottom in zip(rows[::2], rows[1::2], strict=True):
        cells = "".join(glyph[(t, b)] for t, b in zip(top, bottom, strict=True))
        lines.append(f"\x1b[30;107m{cells}\x1b[0m\n")
    return "".join(lines)


class TerminalHandlers:
    """Sign-in handlers that ask a person on the terminal."""

    def __init__(self, terminal: Terminal) -> None:
        self.t = terminal

    def _explain(self, step: Step) -> None:
        if step.retry and step.error is not None:
            self.t.say(
                f"{getattr(step.error, 'code', type(step.error).__name__)}: "
                f"{getattr(step.error, 'message', '')} - try again."
            )

    async def _code(self, step: Step, what: str) -> str:
        self._explain(step)
        where = ""
        if step.delivery and step.delivery.destination:
            where = f" sent by {step.delivery.medium or 'message'} to {step.delivery.destination}"
        return await self.t.ask(f"{what}{where}: ")

    async def sms_mfa(self, step: Step) -> str:
        """Ask for the SMS MFA code."""
        return await self._code(step, "SMS code")

    async def email_otp(self, step: Step) -> str:
        """Ask for the e-mailed code."""
        return await self._code(step, "E-mail code")

    async def sms_otp(self, step: Step) -> str:
        """Ask for the SMS one-time code."""
        return await self._code(step, "SMS code")

    async def software_token_mfa(self, step: Step) -> str:
        """Ask for the authenticator app's code."""
        return await self._code(step, "Authenticator code")

    async def _choose(self, step: Step, what: str) -> str:
        self._explain(step)
        return await self.t.ask(f"{what} ({', '.join(step.options)}): ")

    async def select_mfa_type(self, step: Step) -> str:
        """Ask which MFA type to use."""
        return await self._choose(step, "MFA type")

    async def select_challenge(self, step: Step) -> str:
        """Ask which first factor to use."""
        return await self._choose(step, "Sign in with")

    async def mfa_setup(self, step: Step) -> str:
        """Set up MFA: choose a type, show a TOTP secret and QR code, or ask for an e-mail."""
        if step.state == "MFA_SETUP":
            return await self._choose(step, "Set up MFA")
        if step.state == "MFA_SETUP_EMAIL":
            self._explain(step)
            return await self.t.ask("E-mail address for MFA codes: ")
        self._explain(step)
        self._show_totp(step)
        return await self.t.ask("Code from the authenticator app: ")

    def _show_totp(self, step: Step) -> None:
        """Show a TOTP secret being enrolled (once: not again after a wrong code)."""
        if step.totp is None or step.retry:
            return
        self.t.say("Add this account to your authenticator app:")
        self.t.say(f"  secret: {step.totp.secret}")
        self.t.say(f"  uri:    {step.totp.uri}")
        if self.t.interactive:
            self.t.stderr.write(qr_for_terminal(step.totp.uri))
            self.t.stderr.flush()

    async def password(self, step: Step) -> str:
        """Ask for the password."""
        return await self.t.ask("Password: ", secret=True)

    async def custom_challenge(self, step: Step) -> str:
        """Show the custom challenge's public parameters and ask for the answer."""
        self._explain(step)
        for key, value in step.parameters.items():
            self.t.say(f"  {key}: {value}")
        return await self.t.ask("Answer: ")

    async def new_password_required(self, step: Step) -> NewPassword:
        """Ask for a new password and any required attributes."""
        self._explain(step)
        self.t.say("A new password is required.")
        password = await self.t.ask("New password: ", secret=True)
        attributes = {}
        for name in step.required_attributes:
            if not step.user_attributes.get(name):
                attributes[name] = await self.t.ask(f"{name}: ")
        return NewPassword(password, attributes)

    async def remember_device(self, step: Step) -> bool:
        """Ask whether to remember this device."""
        answer = await self.t.ask("Remember this device? [y/N]: ")
        return answer.strip().lower() in ("y", "yes")


def _run(args: argparse.Namespace) -> int:
    return run_async(lambda: _sign_in(args), json_errors=args.json)


async def _sign_in(args: argparse.Namespace) -> int:
    terminal = Terminal()
    require_username(args.username)
    password: str | None = None
    if args.password_stdin:
        password = await terminal.stdin_line("--password-stdin: the password")
    elif args.flow in ("srp", "password", "custom-srp") or args.preferred_challenge in (
        "PASSWORD",
        "PASSWORD_SRP",
    ):
        password = await terminal.ask("Password: ", secret=True)
    async with open_pool(args) as pool:
        tokens = await pool.sign_in(
            args.username,
            password,
            flow=args.flow,
            handlers=TerminalHandlers(terminal),
            preferred_challenge=args.preferred_challenge,
            remember_device=args.remember,
        )
        now = pool.clock()
    # --save does not show the tokens it saved (unless --json); a file that cannot be
    # written must not lose a sign-in that succeeded, so then they are shown after all.
    saved = _save(args.save, tokens, as_json=args.json) if args.save else None
    if args.json:
        print(json.dumps(tokens.as_dict(now=now)), flush=True)
    else:
        print(
            f"Signed in as {tokens.username}; the access token expires in "
            f"{int(tokens.expires_in(now))} s."
        )
        if saved == 0:
            print(f"Tokens saved to {args.save}.")
        else:
            for key, value in tokens.as_dict(now=now).items():
                print(f"{key}: {value}")
        sys.stdout.flush()
    return saved or 0


def _save(path: str, tokens: TokenSet, *, as_json: bool) -> int:
    """Write the tokens to ``path``; on failure one line on stderr and exit status 1."""
    from .common import _report, write_private_json

    try:
        write_private_json(path, tokens.to_dict())
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        _report(
            "SaveFailed",
            f"signed in, but the tokens could not be saved to {path!r}: {reason} "
            "(they are printed instead)",
            as_json,
        )
        return 1
    return 0
