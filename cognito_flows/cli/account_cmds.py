"""Every ``cognito-flows`` subcommand besides ``sign-in``: sign-up, password reset, tokens,
MFA, devices, attributes, sign-out.

The same rules as ``sign-in``: connection options and environment variables from
:mod:`cognito_flows.cli.common`; answers are asked on the terminal, or read one line of
stdin per answer, in the order asked, when stdin is not a terminal; exit 0 on success, 1 on a
Cognito or flow error, 2 on a usage error.

Commands that act for a signed-in user take ``--tokens FILE`` (written by
``sign-in --save FILE``; rewritten when the tokens were refreshed on the way) or
``--access-token TOKEN`` (``-`` reads it from the first line of stdin).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from ..account import Account, DeviceInfo, UserInfo
from ..drivers.sign_up import ForgotPasswordFlow
from ..errors import HandlerError
from ..flows.forgot_password import ForgotPasswordData
from ..handlers import run_with_handlers
from ..pool import UserPool
from ..steps import CodeDelivery, ResetPassword, Step, TotpCode
from ..tokens import TokenSet, TokenSetFormatError
from .common import (
    Terminal,
    UsageError,
    add_connection_options,
    open_pool,
    run_async,
)
from .sign_in import TerminalHandlers

__all__ = ["AccountHandlers", "register"]

_MFA_METHODS = ("totp", "sms", "email")


# --------------------------------------------------------------------------------------
# Registration


def register(sub: Any) -> None:
    """Add the account subcommands to the ``cognito-flows`` parser."""
    p = _command(sub, "sign-up", "create an account and confirm it with the code sent", _sign_up)
    p.add_argument("--username", required=True, help="the user name (or e-mail / phone)")
    p.add_argument(
        "--attribute",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a user attribute, e.g. email=alice@example.com (repeatable)",
    )
    p.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of stdin",
    )
    p.add_argument(
        "--no-confirm", action="store_true", help="only sign up; confirm later with confirm-sign-up"
    )
    p.add_argument(
        "--auto-sign-in",
        action="store_true",
        help="sign in right after confirming and print the tokens",
    )
    p.add_argument("--save", metavar="FILE", help="with --auto-sign-in: save the tokens")
    _json_option(p)

    p = _command(sub, "confirm-sign-up", "confirm an account with the code sent", _confirm_sign_up)
    p.add_argument("--username", required=True)
    _json_option(p)

    p = _command(sub, "resend-code", "send a new sign-up confirmation code", _resend_code)
    p.add_argument("--username", required=True)
    _json_option(p)

    p = _command(
        sub,
        "forgot-password",
        "send a password reset code and set a new password",
        _forgot_password,
    )
    p.add_argument("--username", required=True)
    p.add_argument(
        "--no-confirm",
        action="store_true",
        help="only send the code; finish with confirm-forgot-password",
    )
    _json_option(p)

    p = _command(
        sub,
        "confirm-forgot-password",
        "set a new password with the reset code sent earlier",
        _confirm_forgot_password,
    )
    p.add_argument("--username", required=True)
    _json_option(p)

    p = _command(
        sub,
        "change-password",
        "change the signed-in user's password",
        _change_password,
        tokens=True,
    )
    _json_option(p)

    p = _command(sub, "refresh", "refresh the tokens in a token file and rewrite it", _refresh)
    p.add_argument(
        "--tokens", required=True, metavar="FILE", help="the token file written by sign-in --save"
    )
    _json_option(p)

    p = _command(sub, "whoami", "show the signed-in user (GetUser)", _whoami, tokens=True)
    _json_option(p)

    mfa = sub.add_parser(
        "mfa",
        help="MFA: set up an authenticator app, choose a method",
        description="Multi-factor authentication of the signed-in user.",
    )
    mfa_sub = mfa.add_subparsers(dest="mfa_command", metavar="ACTION")
    mfa_sub.required = True
    p = _command(mfa_sub, "setup-totp", "add an authenticator app (TOTP)", _setup_totp, tokens=True)
    p.add_argument(
        "--prefer", action="store_true", help="make TOTP the preferred MFA method once verified"
    )
    p.add_argument("--device-name", help="a friendly name for the authenticator")
    _json_option(p)
    p = _command(
        mfa_sub,
        "prefer",
        "enable an MFA method and make it the preferred one",
        _mfa_prefer,
        tokens=True,
    )
    p.add_argument("method", choices=_MFA_METHODS)
    _json_option(p)
    p = _command(mfa_sub, "disable", "disable an MFA method", _mfa_disable, tokens=True)
    p.add_argument("method", choices=_MFA_METHODS)
    _json_option(p)

    devices = sub.add_parser(
        "devices",
        help="remembered devices: list, forget, remember",
        description="The devices Cognito tracks for the signed-in user.",
    )
    devices_sub = devices.add_subparsers(dest="devices_command", metavar="ACTION")
    devices_sub.required = True
    p = _command(devices_sub, "list", "list every device", _devices_list, tokens=True)
    _json_option(p)
    p = _command(
        devices_sub, "forget", "forget a device (default: this one)", _devices_forget, tokens=True
    )
    p.add_argument("device_key", nargs="?", default=None)
    _json_option(p)
    p = _command(
        devices_sub, "remember", "mark a device remembered (or not)", _devices_remember, tokens=True
    )
    p.add_argument("device_key", nargs="?", default=None, help="the device key (default: this one)")
    p.add_argument("--not-remembered", action="store_true", help="mark it not remembered instead")
    _json_option(p)

    p = _command(
        sub,
        "verify-attribute",
        "verify an e-mail address or phone number",
        _verify_attribute,
        tokens=True,
    )
    p.add_argument("attribute", help="email or phone_number")
    p.add_argument(
        "--code-sent",
        action="store_true",
        help="a code was already sent (after an attribute change): do not ask for another",
    )
    _json_option(p)

    p = _command(
        sub, "sign-out", "sign out: revoke the refresh token, or everywhere", _sign_out, tokens=True
    )
    p.add_argument(
        "--global",
        dest="everywhere",
        action="store_true",
        help="sign out of every session (GlobalSignOut)",
    )
    _json_option(p)

    p = _command(sub, "delete-user", "delete the signed-in user", _delete_user, tokens=True)
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    _json_option(p)


def _command(
    sub: Any, name: str, help_text: str, runner: Any, *, tokens: bool = False
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = sub.add_parser(
        name, help=help_text, description=help_text[:1].upper() + help_text[1:] + "."
    )
    if tokens:
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument(
            "--tokens",
            metavar="FILE",
            help="the token file written by sign-in --save (rewritten when "
            "the tokens are refreshed)",
        )
        group.add_argument(
            "--access-token",
            metavar="TOKEN",
            help="an access token ('-': read it from the first line of stdin)",
        )
    add_connection_options(parser)

    async def guarded(args: argparse.Namespace) -> int:
        try:
            code: int = await runner(args)
        except HandlerError as exc:
            # stdin ended while a handler asked: a usage error, as outside handlers.
            if isinstance(exc.__cause__, UsageError):
                raise exc.__cause__ from None
            raise
        return code

    def run(args: argparse.Namespace) -> int:
        return run_async(lambda: guarded(args), json_errors=getattr(args, "json", False))

    parser.set_defaults(run=run)
    return parser


def _json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


# --------------------------------------------------------------------------------------
# Terminal handlers


class AccountHandlers(TerminalHandlers):
    """Terminal handlers for every flow: sign-in's, plus codes and new passwords."""

    def __init__(self, terminal: Terminal, *, device_name: str | None = None) -> None:
        super().__init__(terminal)
        self.device_name = device_name

    async def confirm_sign_up(self, step: Step) -> str:
        """Ask for the sign-up confirmation code."""
        return await self._code(step, "Confirmation code")

    async def confirm_forgot_password(self, step: Step) -> ResetPassword:
        """Ask for the reset code and the new password."""
        code = await self._code(step, "Reset code")
        password = await self.t.ask("New password: ", secret=True)
        return ResetPassword(code, password)

    async def verify_attribute(self, step: Step) -> str:
        """Ask for the attribute verification code."""
        return await self._code(step, "Verification code")

    async def verify_software_token(self, step: Step) -> str | TotpCode:
        """Show the TOTP secret (once) and ask for the authenticator's code."""
        self._explain(step)
        self._show_totp(step)
        code = await self.t.ask("Code from the authenticator app: ")
        return TotpCode(code, self.device_name) if self.device_name else code


# --------------------------------------------------------------------------------------
# Shared helpers


def _read_stdin_line(what: str) -> str:
    line = sys.stdin.readline()
    if not line:
        raise UsageError(f"{what} was to be read from stdin but stdin is empty")
    return line.rstrip("\r\n")


def _load_token_file(path: str) -> TokenSet:
    try:
        data = json.loads(Path(path).read_text())
    except OSError as exc:
        raise UsageError(f"cannot read the token file {path}: {exc.strerror}") from None
    except ValueError:
        raise UsageError(f"the token file {path} is not JSON") from None
    try:
        return TokenSet.from_dict(data)
    except TokenSetFormatError as exc:
        raise UsageError(f"the token file {path} is not a token set: {exc}") from None


def _account(args: argparse.Namespace, pool: UserPool) -> Account:
    if args.tokens:
        return Account(pool, _load_token_file(args.tokens))
    token = args.access_token
    if token == "-":
        token = _read_stdin_line("the access token")
    return Account(pool, token)


def _save_if_refreshed(args: argparse.Namespace, account: Account, before: TokenSet | None) -> None:
    tokens = account.manager.tokens
    if getattr(args, "tokens", None) and tokens is not None and tokens is not before:
        _write_token_file(args.tokens, tokens)


def _write_token_file(path: str, tokens: TokenSet) -> None:
    """Replace the token file atomically with a new one readable only by its owner."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(tokens.to_dict(), fh, indent=1)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _forget_token_file(args: argparse.Namespace) -> None:
    if getattr(args, "tokens", None):
        Path(args.tokens).unlink(missing_ok=True)


def _emit(args: argparse.Namespace, data: dict[str, Any], text: str) -> None:
    if args.json:
        print(json.dumps(data, default=str))
    else:
        print(text)


def _delivery_json(delivery: CodeDelivery | None) -> dict[str, Any] | None:
    if delivery is None:
        return None
    return {
        "DeliveryMedium": delivery.medium,
        "Destination": delivery.destination,
        "AttributeName": delivery.attribute,
    }


def _delivery_text(delivery: CodeDelivery | None) -> str:
    if delivery is None or not (delivery.medium or delivery.destination):
        return "A code was sent."
    return f"A code was sent by {delivery.medium or 'message'} to {delivery.destination}."


def _attributes(values: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise UsageError(f"--attribute takes NAME=VALUE, got {item!r}")
        out[name] = value
    return out


async def _password(args: argparse.Namespace, terminal: Terminal, prompt: str) -> str:
    if getattr(args, "password_stdin", False):
        return await terminal.stdin_line("the password")
    return await terminal.ask(prompt, secret=True)


# --------------------------------------------------------------------------------------
# Sign-up and password reset


async def _sign_up(args: argparse.Namespace) -> int:
    terminal = Terminal()
    attributes = _attributes(args.attribute)
    if args.save and not args.auto_sign_in:
        raise UsageError("--save needs --auto-sign-in")
    if args.no_confirm and args.auto_sign_in:
        raise UsageError("--auto-sign-in needs the confirmation: drop --no-confirm")
    password = await _password(args, terminal, "Password: ")
    tokens: TokenSet | None = None
    delivery: CodeDelivery | None = None
    async with open_pool(args) as pool:
        if args.no_confirm:
            flow = pool.sign_up_flow(args.username, password, attributes=attributes)
            step = await flow.start()
            step.raise_for_error()
            user_sub, confirmed, delivery = (
                flow.data.user_sub,
                step.state == "CONFIRMED",
                step.delivery,
            )
        else:
            result = await pool.sign_up(
                args.username,
                password,
                attributes=attributes,
                handlers=AccountHandlers(terminal),
                auto_sign_in=args.auto_sign_in,
            )
            user_sub, confirmed, tokens = result.user_sub, result.confirmed, result.tokens
        now = pool.clock()
    if tokens is not None and args.save:
        _write_token_file(args.save, tokens)
    data: dict[str, Any] = {
        "Username": args.username,
        "UserSub": user_sub,
        "UserConfirmed": confirmed,
    }
    if delivery is not None:
        data["CodeDeliveryDetails"] = _delivery_json(delivery)
    text = f"Signed up {args.username}; " + (
        "confirmed." if confirmed else _delivery_text(delivery) + " Confirm with confirm-sign-up."
    )
    if tokens is not None:
        data["AuthenticationResult"] = tokens.as_dict(now=now)
        text += f"\nSigned in as {tokens.username}."
    _emit(args, data, text)
    return 0


async def _confirm_sign_up(args: argparse.Namespace) -> int:
    terminal = Terminal()
    async with open_pool(args) as pool:
        flow = pool.confirm_sign_up_flow(args.username)
        await run_with_handlers(flow, AccountHandlers(terminal))
    _emit(args, {"Username": args.username, "UserConfirmed": True}, f"Confirmed {args.username}.")
    return 0


async def _resend_code(args: argparse.Namespace) -> int:
    async with open_pool(args) as pool:
        step = await pool.confirm_sign_up_flow(args.username).resend()
        step.raise_for_error()
    _emit(
        args, {"CodeDeliveryDetails": _delivery_json(step.delivery)}, _delivery_text(step.delivery)
    )
    return 0


async def _run_reset(args: argparse.Namespace, flow: ForgotPasswordFlow) -> Step:
    terminal = Terminal()
    step = await flow.start()
    step.raise_for_error()
    if getattr(args, "no_confirm", False):
        return step
    if step.delivery is not None:
        terminal.say(_delivery_text(step.delivery))
    return await run_with_handlers(flow, AccountHandlers(terminal), first=step)


async def _forgot_password(args: argparse.Namespace) -> int:
    async with open_pool(args) as pool:
        flow = pool.forgot_password_flow(args.username)
        step = await _run_reset(args, flow)
    if args.no_confirm:
        _emit(
            args,
            {"CodeDeliveryDetails": _delivery_json(step.delivery)},
            _delivery_text(step.delivery) + " Finish with confirm-forgot-password.",
        )
    else:
        _emit(
            args,
            {"Username": args.username, "PasswordReset": True},
            f"The password of {args.username} was reset.",
        )
    return 0


async def _confirm_forgot_password(args: argparse.Namespace) -> int:
    async with open_pool(args) as pool:
        data = ForgotPasswordData(username=args.username, state="CONFIRM_FORGOT_PASSWORD")
        flow = pool.build(data)
        assert isinstance(flow, ForgotPasswordFlow)
        await _run_reset(args, flow)
    _emit(
        args,
        {"Username": args.username, "PasswordReset": True},
        f"The password of {args.username} was reset.",
    )
    return 0


# --------------------------------------------------------------------------------------
# Signed-in user


async def _with_account(args: argparse.Namespace, action: Any) -> int:
    """Open the pool and the account, run ``action(account, terminal)``, save tokens."""
    terminal = Terminal()
    async with open_pool(args) as pool:
        account = _account(args, pool)
        before = account.manager.tokens
        try:
            result: int = await action(account, terminal)
        finally:
            _save_if_refreshed(args, account, before)
    return result


async def _change_password(args: argparse.Namespace) -> int:
    async def action(account: Account, terminal: Terminal) -> int:
        old = await terminal.ask("Current password: ", secret=True)
        new = await terminal.ask("New password: ", secret=True)
        await account.change_password(old, new)
        _emit(args, {"PasswordChanged": True}, "Password changed.")
        return 0

    return await _with_account(args, action)


async def _refresh(args: argparse.Namespace) -> int:
    async with open_pool(args) as pool:
        account = Account(pool, _load_token_file(args.tokens))
        tokens = await account.manager.force_refresh()
        _write_token_file(args.tokens, tokens)
        now = pool.clock()
    _emit(
        args,
        tokens.as_dict(now=now),
        f"Refreshed; the access token expires in {int(tokens.expires_in(now))} s. "
        f"Saved to {args.tokens}.",
    )
    return 0


def _user_json(info: UserInfo) -> dict[str, Any]:
    return {
        "Username": info.username,
        "UserAttributes": dict(info.attributes),
        "PreferredMfaSetting": info.preferred_mfa,
        "UserMFASettingList": info.mfa_settings,
        "MFAOptions": info.mfa_options,
    }


async def _whoami(args: argparse.Namespace) -> int:
    async def action(account: Account, terminal: Terminal) -> int:
        info = await account.get_user()
        lines = [f"username: {info.username}"]
        lines += [f"{k}: {v}" for k, v in info.attributes.items()]
        lines.append(
            f"mfa: {', '.join(info.mfa_settings) or 'none'}"
            f" (preferred: {info.preferred_mfa or 'none'})"
        )
        _emit(args, _user_json(info), "\n".join(lines))
        return 0

    return await _with_account(args, action)


async def _setup_totp(args: argparse.Namespace) -> int:
    async def action(account: Account, terminal: Terminal) -> int:
        handlers = AccountHandlers(terminal, device_name=args.device_name)
        await account.setup_totp(handlers, prefer=args.prefer)
        _emit(
            args,
            {"TotpEnabled": True, "Preferred": bool(args.prefer)},
            "The authenticator app is set up" + (" and preferred." if args.prefer else "."),
        )
        return 0

    return await _with_account(args, action)


async def _mfa_prefer(args: argparse.Namespace) -> int:
    async def action(account: Account, terminal: Terminal) -> int:
        await account.set_mfa_preference(preferred=args.method)
        _emit(args, {"PreferredMfa": args.method}, f"Preferred MFA: {args.method}.")
        return 0

    return await _with_account(args, action)


async def _mfa_disable(args: argparse.Namespace) -> int:
    async def action(account: Account, terminal: Terminal) -> int:
        method: str = args.method
        await account.set_mfa_preference(
            sms=False if method == "sms" else None,
            totp=False if method == "totp" else None,
            email=False if method == "email" else None,
        )
        _emit(args, {"Disabled": args.method}, f"Disabled MFA method {args.method}.")
        return 0

    return await _with_account(args, action)


def _device_json(device: DeviceInfo) -> dict[str, Any]:
    return {
        "DeviceKey": device.key,
        "DeviceName": device.name,
        "RememberedStatus": device.remembered_status,
        "Created": device.created.isoformat() if device.created else None,
        "LastAuthenticated": device.last_authenticated.isoformat()
        if device.last_authenticated
        else None,
        "Attributes": dict(device.attributes),
    }


async def _devices_list(args: argparse.Namespace) -> int:
    async def action(account: Account, terminal: Terminal) -> int:
        devices = await account.list_devices()
        lines = [
            f"{d.key}  {d.name or '-'}  {d.remembered_status or '-'}  "
            f"{d.last_authenticated.isoformat() if d.last_authenticated else '-'}"
            for d in devices
        ] or ["No devices."]
        _emit(args, {"Devices": [_device_json(d) for d in devices]}, "\n".join(lines))
        return 0

    return await _with_account(args, action)


async def _devices_forget(args: argparse.Namespace) -> int:
    async def action(account: Account, terminal: Terminal) -> int:
        key = args.device_key or (await account.tokens()).device_key
        await account.forget_device(args.device_key)
        _emit(args, {"Forgotten": key}, f"Forgot device {key}.")
        return 0

    return await _with_account(args, action)


async def _devices_remember(args: argparse.Namespace) -> int:
    async def action(account: Account, terminal: Terminal) -> int:
        remembered = not args.not_remembered
        await account.update_device_status(args.device_key, remembered)
        status = "remembered" if remembered else "not_remembered"
        key = args.device_key or (await account.tokens()).device_key
        _emit(
            args,
            {"DeviceKey": key, "RememberedStatus": status},
            f"Device {key} is {status.replace('_', ' ')}.",
        )
        return 0

    return await _with_account(args, action)


async def _verify_attribute(args: argparse.Namespace) -> int:
    async def action(account: Account, terminal: Terminal) -> int:
        flow = account.verify_attribute_flow(args.attribute, code_sent=args.code_sent)
        step = await flow.start()
        step.raise_for_error()
        if step.delivery is not None:
            terminal.say(_delivery_text(step.delivery))
        await run_with_handlers(flow, AccountHandlers(terminal), first=step)
        _emit(
            args,
            {"AttributeName": args.attribute, "Verified": True},
            f"{args.attribute} is verified.",
        )
        return 0

    return await _with_account(args, action)


async def _sign_out(args: argparse.Namespace) -> int:
    async def action(account: Account, terminal: Terminal) -> int:
        if args.everywhere:
            await account.global_sign_out()
        else:
            held = account.manager.tokens
            if held is None or not held.refresh_token:
                raise UsageError(
                    "sign-out without --global needs --tokens with a refresh "
                    "token (or use --global)"
                )
            await account.revoke()
        _forget_token_file(args)
        _emit(
            args,
            {"SignedOut": True, "Global": bool(args.everywhere)},
            "Signed out everywhere." if args.everywhere else "Signed out.",
        )
        return 0

    return await _with_account(args, action)


async def _delete_user(args: argparse.Namespace) -> int:
    async def action(account: Account, terminal: Terminal) -> int:
        username = account.username
        if not args.yes:
            answer = await terminal.ask(f"Type the user name ({username}) to delete it: ")
            if answer.strip() != username:
                terminal.say("Not deleted.")
                return 1
        await account.delete_user()
        _forget_token_file(args)
        _emit(args, {"Deleted": username}, f"Deleted {username}.")
        return 0

    return await _with_account(args, action)
