"""The auth use cases: accounts, logins, token rotation and revocation."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from sqlalchemy.exc import IntegrityError

from projectconnect.auth.accounts import (
    email_taken,
    hash_token,
    new_password_hash,
    new_token,
    profile,
)
from projectconnect.auth.links import AccountLinks
from projectconnect.auth.models import RefreshToken, Session, User
from projectconnect.auth.passwords import HashingBusy, PasswordHasher, password_policy_errors
from projectconnect.auth.repository import SessionRepository, UserRepository
from projectconnect.infra import metrics
from projectconnect.infra.db import Database, utcnow
from projectconnect.infra.events import user_deleted, user_registered, user_updated
from projectconnect.infra.outbox import Outbox
from projectconnect.infra.problems import FieldError, Forbidden, InvalidInput, Unauthorized
from projectconnect.infra.sessions import CachedSessionRegistry, SessionCache
from projectconnect.infra.throttle import Rule, Throttle, TooManyRequests
from projectconnect.infra.tokens import AccessClaims, InvalidToken, TokenSigner, TokenVerifier

INVALID_CREDENTIALS = "The email or password is incorrect."


@dataclass(frozen=True, slots=True)
class ThrottleRules:
    login_failures_per_account_and_ip: Rule
    login_failures_per_account: Rule
    login_failures_per_ip: Rule
    registrations_per_ip: Rule

    def password_check(self, account: str, client_ip: str) -> list[tuple[Rule, str]]:
        """What one password check (a login, or a re-check before a change) counts against."""
        return [
            (self.login_failures_per_account_and_ip, f"{account} {client_ip}"),
            (self.login_failures_per_account, account),
            (self.login_failures_per_ip, client_ip),
        ]


@dataclass(frozen=True, slots=True)
class IssuedTokens:
    access_token: str
    expires_in: int
    refresh_token: str
    session_expires_at: dt.datetime


class AuthService:
    def __init__(
        self,
        db: Database,
        signer: TokenSigner,
        verifier: TokenVerifier,
        hasher: PasswordHasher,
        outbox: Outbox,
        session_cache: SessionCache,
        throttle: Throttle,
        rules: ThrottleRules,
        *,
        session_ttl: dt.timedelta,
        links: AccountLinks,
    ) -> None:
        self.db = db
        self.links = links
        self.outbox = outbox
        self.session_cache = session_cache
        self.sessions = CachedSessionRegistry(session_cache, source=DatabaseSessions(db))
        self.throttle = throttle
        self.rules = rules
        self.signer = signer
        self.verifier = verifier
        self.hasher = hasher
        self.session_ttl = session_ttl

    async def register(
        self, email: str, password: str, display_name: str | None, client_ip: str
    ) -> User:
        reservation = await self.throttle.acquire(self.rules.registrations_per_ip, client_ip)
        address, errors = email_address(email)
        errors += password_policy_errors(password, address or email, display_name)
        if errors:
            raise InvalidInput("The account details are not valid.", errors=errors)
        assert address is not None
        try:
            password_hash = await self.hasher.hash(password)
        except HashingBusy:
            await self.throttle.release(reservation)
            raise
        user = User(
            id=uuid.uuid4(),
            email=address,
            email_key=address.lower(),
            display_name=display_name,
            password_hash=password_hash,
            profile_version=1,
        )
        async with self.db.session() as session:
            users = UserRepository(session)
            if await users.get_by_email(address) is not None:
                raise email_taken()
            users.add(user)
            try:
                # Committed with the account, so the projects service's directory learns of
                # it; adding it flushes the user, which may already meet the unique email.
                await self.outbox.add(session, user_registered(profile(user)))
                await session.flush()  # the verification token refers to the user
                await self.links.add_verification(session, user)
                await session.commit()
            except IntegrityError as exc:  # a concurrent registration took it first
                raise email_taken() from exc
        return user

    async def login(self, email: str, password: str, client_ip: str) -> IssuedTokens:
        async with self.db.reading() as session:
            user = await UserRepository(session).get_by_email(email)
        # Verified with no database connection held: during a burst, logins wait for a
        # hashing thread, and must not drain the pool the other requests need meanwhile.
        password_hash = user.password_hash if user is not None else None
        try:
            verified = await self._check_password(email, client_ip, password, password_hash)
        except TooManyRequests:
            metrics.LOGINS.labels(outcome="throttled").inc()
            raise
        except HashingBusy:
            metrics.LOGINS.labels(outcome="shed").inc()
            raise
        if not verified or user is None:
            metrics.LOGINS.labels(outcome="failure").inc()
            raise Unauthorized(INVALID_CREDENTIALS)
        now = utcnow()
        login = Session(
            id=uuid.uuid4(), user_id=user.id, created_at=now, expires_at=now + self.session_ttl
        )
        refresh, token_row = self._new_refresh_token(login.id, now)
        async with self.db.session() as session:
            await SessionRepository(session).add(login, token_row)
            await session.commit()
        metrics.LOGINS.labels(outcome="success").inc()
        return self._tokens(user, login, refresh)

    async def _check_password(
        self, email: str, client_ip: str, password: str, password_hash: str | None
    ) -> bool:
        """Verify a password, counted by the login throttles before the hash is even queued.

        Each check reserves its attempt first, atomically, so concurrent guesses cannot all
        pass the throttles and then be hashed. A right password gives its reservations back,
        and forgives the failures of its (account, address): only someone who knows the
        password can do that, whereas clearing the per-address or per-account counters would
        let anyone reset them by logging into an account of their own.
        """
        account = email.lower()
        uses = self.rules.password_check(account, client_ip)
        reservations = await self.throttle.acquire_all(uses)
        try:
            verified = await self.hasher.verify(password, password_hash)
        except BaseException:  # never checked (shed, cancelled): it did not count
            await self.throttle.release(*reservations)
            raise
        if verified and password_hash is not None:
            await self.throttle.clear(*uses[0])
            await self.throttle.release(*reservations[1:])
            return True
        return False

    async def refresh(self, refresh_token: str) -> IssuedTokens:
        token_hash = hash_token(refresh_token)
        now = utcnow()
        async with self.db.session() as session:
            sessions = SessionRepository(session)
            found = await sessions.get_refresh_token(token_hash)
            if found is None:
                raise Unauthorized("The refresh token is not valid.")
            _, login = found
            if login.revoked_at is not None or login.expires_at <= now:
                raise Unauthorized("The session has ended; log in again.")
            if not await sessions.spend_refresh_token(token_hash, now):
                # A spent token came back: it was stolen or replayed. End the whole family.
                await sessions.revoke(login.id, now)
                await session.commit()
                await self.session_cache.revoke([login.id])
                raise Unauthorized("The refresh token was already used; the session is ended.")
            refresh, token_row = self._new_refresh_token(login.id, now)
            sessions.add_refresh_token(token_row)
            user = await session.get(User, login.user_id)
            if user is None:  # deleted as the refresh ran
                raise Unauthorized("The account no longer exists.")
            await session.commit()
        return self._tokens(user, login, refresh)

    async def authenticate(self, access_token: str) -> AccessClaims:
        """The claims of an access token whose signature holds and whose session is active."""
        try:
            claims = await self.verifier.verify(access_token)
        except InvalidToken as exc:
            raise Unauthorized("The access token is not valid.") from exc
        if not await self.sessions.is_active(claims):
            raise Unauthorized("The session has ended; log in again.")
        return claims

    async def logout(self, claims: AccessClaims) -> None:
        async with self.db.session() as session:
            await SessionRepository(session).revoke(claims.session_id, utcnow())
            await session.commit()
        await self.session_cache.revoke([claims.session_id])

    async def logout_all(self, claims: AccessClaims) -> None:
        async with self.db.session() as session:
            revoked = await SessionRepository(session).revoke_all_for_user(claims.subject, utcnow())
            await session.commit()
        await self.session_cache.revoke([claims.session_id, *revoked])

    async def get_user(self, claims: AccessClaims) -> User:
        async with self.db.reading() as session:
            user = await UserRepository(session).get(claims.subject)
        if user is None:
            raise Unauthorized("The account no longer exists.")
        return user

    async def update_display_name(self, claims: AccessClaims, display_name: str | None) -> User:
        async with self.db.session() as session:
            users = UserRepository(session)
            user = await users.rename(claims.subject, display_name)
            if user is None:  # gone, or the name is unchanged: nothing to tell anyone
                unchanged = await users.get(claims.subject)
                if unchanged is None:
                    raise Unauthorized("The account no longer exists.")
                return unchanged
            # The new name and its event commit together; the version orders the events.
            await self.outbox.add(session, user_updated(profile(user)))
            await session.commit()
        return user

    async def change_password(
        self, claims: AccessClaims, current: str, new: str, client_ip: str
    ) -> None:
        user = await self.get_user(claims)
        await self._confirm_password(user, current, "current_password", client_ip)
        password_hash = await new_password_hash(self.hasher, user, new, current=current)
        async with self.db.session() as session:
            stored = await UserRepository(session).get(user.id)
            if stored is None:
                raise Unauthorized("The account no longer exists.")
            stored.password_hash = password_hash
            revoked = await SessionRepository(session).revoke_all_for_user(
                user.id, utcnow(), keep=claims.session_id
            )
            await session.commit()
        await self.session_cache.revoke(revoked)

    async def request_email_change(
        self, claims: AccessClaims, email: str, password: str, client_ip: str
    ) -> User:
        """Hold a new address until a link mailed to it is followed (`AccountLinks`)."""
        user = await self.get_user(claims)
        address, errors = email_address(email)
        if address is not None and address.lower() == user.email_key:
            errors.append(
                FieldError(
                    field="email",
                    code="email_unchanged",
                    message="This is already your email address.",
                )
            )
        if errors:
            raise InvalidInput("The new email address is not valid.", errors=errors)
        assert address is not None
        await self._confirm_password(user, password, "password", client_ip)
        return await self.links.request_email_change(user.id, address, client_ip)

    async def forgot_password(self, email: str, client_ip: str) -> None:
        address, errors = email_address(email)
        if errors:
            raise InvalidInput("The email address is not valid.", errors=errors)
        assert address is not None
        await self.links.forgot_password(address, client_ip)

    async def delete_account(self, claims: AccessClaims, password: str, client_ip: str) -> None:
        user = await self.get_user(claims)
        await self._confirm_password(user, password, "password", client_ip)
        async with self.db.session() as session:
            users = UserRepository(session)
            if await users.get(user.id) is None:
                raise Unauthorized("The account no longer exists.")
            ended = await SessionRepository(session).ids_for_user(user.id)
            await users.delete(user.id)
            # Committed with the deletion, so the projects service hears of it even if
            # it or the broker is down right now.
            await self.outbox.add(session, user_deleted(user.id))
            await session.commit()
        await self.session_cache.revoke(ended)

    async def _confirm_password(
        self, user: User, password: str, field: str, client_ip: str
    ) -> None:
        """A re-check before a sensitive change, under the same throttles as a login."""
        if not await self._check_password(user.email, client_ip, password, user.password_hash):
            raise Forbidden(
                "The password is incorrect.",
                errors=[
                    FieldError(
                        field=field, code="password_incorrect", message="Incorrect password."
                    )
                ],
            )

    def _new_refresh_token(
        self, session_id: uuid.UUID, now: dt.datetime
    ) -> tuple[str, RefreshToken]:
        token, token_hash = new_token()
        return token, RefreshToken(token_hash=token_hash, session_id=session_id, created_at=now)

    def _tokens(self, user: User, login: Session, refresh: str) -> IssuedTokens:
        return IssuedTokens(
            access_token=self.signer.issue(
                user.id, login.id, email=user.email, email_verified=user.email_verified
            ),
            expires_in=self.signer.ttl_seconds,
            refresh_token=refresh,
            session_expires_at=login.expires_at,
        )


class DatabaseSessions:
    """The source of truth on sessions, behind the session cache."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def is_active(self, claims: AccessClaims) -> bool:
        async with self.db.reading() as session:
            return await SessionRepository(session).is_active(
                claims.session_id, claims.subject, utcnow()
            )


def email_address(email: str) -> tuple[str | None, list[FieldError]]:
    """The address normalised (the domain in lower case), or why it is not one."""
    try:
        return validate_email(email, check_deliverability=False).normalized, []
    except EmailNotValidError:
        invalid = FieldError(
            field="email", code="email_invalid", message="Enter a valid email address."
        )
        return None, [invalid]
