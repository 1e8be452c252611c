"""Queries on the auth database. Use cases call these; routes never do."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from projectconnect.auth.models import AccountToken, RefreshToken, Session, User


class UserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: uuid.UUID) -> User | None:
        return await self.session.get(User, user_id)

    async def get_by_email(self, email: str) -> User | None:
        result = await self.session.execute(select(User).where(User.email_key == email.lower()))
        return result.scalar_one_or_none()

    def add(self, user: User) -> None:
        self.session.add(user)

    async def rename(self, user_id: uuid.UUID, display_name: str | None) -> User | None:
        """Set the display name and count a new profile version, in one statement.

        None when the user is gone or already has that name (no change, no new version).
        Concurrent renames each get their own version: the row lock orders them.
        """
        result = await self.session.execute(
            update(User)
            .where(User.id == user_id, User.display_name.is_distinct_from(display_name))
            .values(display_name=display_name, profile_version=User.profile_version + 1)
            .returning(User)
            .execution_options(populate_existing=True)
        )
        return result.scalar_one_or_none()

    async def change_email(self, user_id: uuid.UUID, email: str, now: dt.datetime) -> User | None:
        """Make a confirmed address the account's, verified, as a new profile version."""
        result = await self.session.execute(
            update(User)
            .where(User.id == user_id)
            .values(
                email=email,
                email_key=email.lower(),
                pending_email=None,
                email_verified_at=now,
                profile_version=User.profile_version + 1,
            )
            .returning(User)
            .execution_options(populate_existing=True)
        )
        return result.scalar_one_or_none()

    async def delete(self, user_id: uuid.UUID) -> None:
        await self.session.execute(delete(User).where(User.id == user_id))


class AccountTokenRepository:
    """One-time tokens mailed to an address, found by their hash."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, token: AccountToken) -> None:
        self.session.add(token)

    async def get(self, token_hash: str) -> AccountToken | None:
        return await self.session.get(AccountToken, token_hash)

    async def spend(self, token_hash: str, now: dt.datetime) -> bool:
        """Mark the token used; False when it already was, or has expired meanwhile."""
        result = await self.session.execute(
            update(AccountToken)
            .where(
                AccountToken.token_hash == token_hash,
                AccountToken.used_at.is_(None),
                AccountToken.expires_at > now,
            )
            .values(used_at=now)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    async def spend_all(self, user_id: uuid.UUID, purpose: str, now: dt.datetime) -> None:
        """End the user's other tokens of this purpose: a newer one, or its use, replaces them."""
        await self.session.execute(
            update(AccountToken)
            .where(
                AccountToken.user_id == user_id,
                AccountToken.purpose == purpose,
                AccountToken.used_at.is_(None),
            )
            .values(used_at=now)
        )


class SessionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, login: Session, token: RefreshToken) -> None:
        self.session.add(login)
        await self.session.flush()  # the token's foreign key needs the session row first
        self.session.add(token)

    async def is_active(self, session_id: uuid.UUID, user_id: uuid.UUID, now: dt.datetime) -> bool:
        result = await self.session.execute(
            select(Session.id).where(
                Session.id == session_id,
                Session.user_id == user_id,
                Session.revoked_at.is_(None),
                Session.expires_at > now,
            )
        )
        return result.first() is not None

    async def get_refresh_token(self, token_hash: str) -> tuple[RefreshToken, Session] | None:
        result = await self.session.execute(
            select(RefreshToken, Session)
            .join(Session, Session.id == RefreshToken.session_id)
            .where(RefreshToken.token_hash == token_hash)
        )
        row = result.first()
        return None if row is None else (row[0], row[1])

    async def spend_refresh_token(self, token_hash: str, now: dt.datetime) -> bool:
        """Mark the token used; False when it already was (a concurrent or replayed use)."""
        result = await self.session.execute(
            update(RefreshToken)
            .where(RefreshToken.token_hash == token_hash, RefreshToken.used_at.is_(None))
            .values(used_at=now)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    def add_refresh_token(self, token: RefreshToken) -> None:
        self.session.add(token)

    async def revoke(self, session_id: uuid.UUID, now: dt.datetime) -> None:
        await self.session.execute(
            update(Session)
            .where(Session.id == session_id, Session.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    async def revoke_all_for_user(
        self, user_id: uuid.UUID, now: dt.datetime, *, keep: uuid.UUID | None = None
    ) -> list[uuid.UUID]:
        """Revoke the user's active sessions (but `keep`); the ids of those revoked."""
        statement = (
            update(Session)
            .where(Session.user_id == user_id, Session.revoked_at.is_(None))
            .values(revoked_at=now)
            .returning(Session.id)
        )
        if keep is not None:
            statement = statement.where(Session.id != keep)
        return list((await self.session.scalars(statement)).all())

    async def ids_for_user(self, user_id: uuid.UUID) -> list[uuid.UUID]:
        result = await self.session.scalars(select(Session.id).where(Session.user_id == user_id))
        return list(result.all())
