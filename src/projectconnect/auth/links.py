"""Links mailed to an account: email verification, password reset, email change.

Each link carries a one-time token: 32 random bytes (`secrets.token_urlsafe`), stored only
as its SHA-256, found by that hash and compared in constant time, spent by a conditional
UPDATE so that two uses cannot both win. The mail is written into the mail outbox in the
transaction that makes the token: a rolled-back request sends nothing, a crash loses nothing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hmac
import time
import uuid
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from projectconnect.auth.accounts import (
    email_taken,
    hash_token,
    new_password_hash,
    new_token,
    profile,
)
from projectconnect.auth.mails import AccountMails
from projectconnect.auth.models import AccountToken, User
from projectconnect.auth.passwords import PasswordHasher
from projectconnect.auth.repository import AccountTokenRepository, SessionRepository, UserRepository
from projectconnect.infra.db import Database, utcnow
from projectconnect.infra.events import user_updated
from projectconnect.infra.mail import MailMessage, mail_requested
from projectconnect.infra.outbox import Outbox
from projectconnect.infra.problems import FieldError, InvalidInput
from projectconnect.infra.sessions import SessionCache
from projectconnect.infra.throttle import Rule, Throttle

VERIFY_EMAIL = "verify_email"
CHANGE_EMAIL = "change_email"
PASSWORD_RESET = "password_reset"  # noqa: S105 - a token's purpose, not a secret


@dataclass(frozen=True, slots=True)
class LinkPolicy:
    reset_ttl: dt.timedelta
    verification_ttl: dt.timedelta
    # The least time `forgot` takes, known account or not, so its timing tells nothing.
    forgot_seconds: float
    links_per_email: Rule
    links_per_ip: Rule


def _usable(
    row: AccountToken | None, token_hash: str, purposes: set[str], now: dt.datetime
) -> bool:
    return (
        row is not None
        and hmac.compare_digest(row.token_hash, token_hash)
        and row.purpose in purposes
        and row.used_at is None
        and row.expires_at > now
    )


def token_invalid() -> InvalidInput:
    return InvalidInput(
        "The link is not valid: it was used already, has expired, or was replaced by a newer one.",
        errors=[
            FieldError(
                field="token",
                code="token_invalid",
                message="This link is no longer valid; ask for a new one.",
            )
        ],
    )


class AccountLinks:
    def __init__(
        self,
        db: Database,
        hasher: PasswordHasher,
        outbox: Outbox,
        mail_outbox: Outbox,
        mails: AccountMails,
        session_cache: SessionCache,
        throttle: Throttle,
        policy: LinkPolicy,
    ) -> None:
        self.db = db
        self.hasher = hasher
        self.outbox = outbox
        self.mail_outbox = mail_outbox
        self.mails = mails
        self.session_cache = session_cache
        self.throttle = throttle
        self.policy = policy

    # --- inside a caller's transaction ---

    def _token(
        self, user_id: uuid.UUID, purpose: str, email: str, ttl: dt.timedelta
    ) -> tuple[str, AccountToken]:
        token, token_hash = new_token()
        now = utcnow()
        row = AccountToken(
            token_hash=token_hash,
            user_id=user_id,
            purpose=purpose,
            email=email,
            created_at=now,
            expires_at=now + ttl,
        )
        return token, row

    async def _new_link(
        self, session: AsyncSession, user_id: uuid.UUID, purpose: str, email: str
    ) -> str:
        """A new link of this purpose, ending the user's older ones; its token."""
        token, row = self._token(user_id, purpose, email, self.policy.verification_ttl)
        tokens = AccountTokenRepository(session)
        await tokens.spend_all(user_id, purpose, row.created_at)
        tokens.add(row)
        return token

    async def _mail(self, session: AsyncSession, message: MailMessage) -> None:
        await self.mail_outbox.add(session, mail_requested(message, source="auth"))

    async def add_verification(self, session: AsyncSession, user: User) -> None:
        """A verification link for the user's address, with the caller's transaction.

        The user row must be flushed already (the token refers to it).
        """
        token = await self._new_link(session, user.id, VERIFY_EMAIL, user.email)
        message = self.mails.verification(
            user.email, user.display_name, token, self.policy.verification_ttl
        )
        await self._mail(session, message)

    # --- use cases ---

    async def resend_verification(self, user_id: uuid.UUID, client_ip: str) -> None:
        async with self.db.session() as session:
            user = await UserRepository(session).get(user_id)
            if user is None or user.email_verified:
                return  # nothing to confirm
            await self._limit(user.email_key, client_ip)
            await self.add_verification(session, user)
            await session.commit()

    async def _limit(self, email_key: str, client_ip: str) -> None:
        await self.throttle.acquire_all(
            [(self.policy.links_per_ip, client_ip), (self.policy.links_per_email, email_key)]
        )

    async def forgot_password(self, address: str, client_ip: str) -> None:
        """Mail a reset link if the address has an account; the same answer either way.

        The same work is done in both cases (a token made, the mail rendered, one query)
        and the answer waits until `forgot_seconds` after the start, so neither the status,
        the body nor the time tells whether an account exists.
        """
        await self._limit(address.lower(), client_ip)
        answer_at = time.monotonic() + self.policy.forgot_seconds
        ttl = self.policy.reset_ttl
        async with self.db.session() as session:
            user = await UserRepository(session).get_by_email(address)
            email = user.email if user else address
            token, row = self._token(user.id if user else uuid.uuid4(), PASSWORD_RESET, email, ttl)
            message = self.mails.password_reset(
                email, user.display_name if user else None, token, ttl
            )
            if user is not None:
                AccountTokenRepository(session).add(row)
                await self._mail(session, message)
                await session.commit()
        await asyncio.sleep(max(0.0, answer_at - time.monotonic()))

    async def reset_password(self, token: str, new_password: str) -> None:
        """Set a new password with a reset link; every session of the account ends."""
        token_hash = hash_token(token)
        async with self.db.session() as session:
            row = await AccountTokenRepository(session).get(token_hash)
            user = await UserRepository(session).get(row.user_id) if row is not None else None
        if not _usable(row, token_hash, {PASSWORD_RESET}, utcnow()) or user is None:
            raise token_invalid()
        assert row is not None
        password_hash = await new_password_hash(self.hasher, user, new_password)
        now = utcnow()
        async with self.db.session() as session:
            tokens = AccountTokenRepository(session)
            if not await tokens.spend(token_hash, now):
                raise token_invalid()  # used meanwhile, by a concurrent request
            stored = await UserRepository(session).get(user.id)
            if stored is None:
                raise token_invalid()
            stored.password_hash = password_hash
            if stored.email_verified_at is None and stored.email_key == row.email.lower():
                stored.email_verified_at = now  # the link reached that address
            await tokens.spend_all(user.id, PASSWORD_RESET, now)
            revoked = await SessionRepository(session).revoke_all_for_user(user.id, now)
            await session.commit()
        await self.session_cache.revoke(revoked)

    async def verify_email(self, token: str) -> None:
        """Follow a verification link: the address is verified, or the change made."""
        token_hash = hash_token(token)
        now = utcnow()
        async with self.db.session() as session:
            tokens = AccountTokenRepository(session)
            users = UserRepository(session)
            row = await tokens.get(token_hash)
            if not _usable(row, token_hash, {VERIFY_EMAIL, CHANGE_EMAIL}, now):
                raise token_invalid()
            assert row is not None
            if not await tokens.spend(token_hash, now):
                raise token_invalid()
            user = await users.get(row.user_id)
            if user is None:
                raise token_invalid()
            if row.purpose == VERIFY_EMAIL:
                if user.email_key != row.email.lower():
                    raise token_invalid()  # the account's address changed since
                if user.email_verified_at is None:
                    user.email_verified_at = now
            else:
                await self._change_email(session, user, row.email, now)
            try:
                await session.commit()
            except IntegrityError as exc:  # the address was taken as this ran
                raise email_taken() from exc

    async def _change_email(
        self, session: AsyncSession, user: User, address: str, now: dt.datetime
    ) -> None:
        if user.pending_email is None or user.pending_email.lower() != address.lower():
            raise token_invalid()  # replaced by a newer change, or withdrawn
        users = UserRepository(session)
        holder = await users.get_by_email(address)
        if holder is not None and holder.id != user.id:
            raise email_taken()
        old_email, display_name = user.email, user.display_name
        changed = await users.change_email(user.id, address, now)
        if changed is None:
            raise token_invalid()
        await AccountTokenRepository(session).spend_all(user.id, CHANGE_EMAIL, now)
        # The other services' copies follow, ordered by the profile version.
        await self.outbox.add(session, user_updated(profile(changed)))
        await self._mail(session, self.mails.email_changed(old_email, address, display_name))

    async def request_email_change(self, user_id: uuid.UUID, address: str, client_ip: str) -> User:
        """Hold `address` as pending and mail it a confirmation link; nothing changes yet."""
        await self._limit(address.lower(), client_ip)
        async with self.db.session() as session:
            users = UserRepository(session)
            if await users.get_by_email(address) is not None:
                raise email_taken()
            user = await users.get(user_id)
            if user is None:
                raise token_invalid()
            user.pending_email = address
            # An earlier request's link no longer works: only the latest address is pending.
            token = await self._new_link(session, user.id, CHANGE_EMAIL, address)
            message = self.mails.email_change(
                address, user.email, user.display_name, token, self.policy.verification_ttl
            )
            await self._mail(session, message)
            await session.commit()
        return user
