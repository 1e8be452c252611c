"""What the account use cases share (`service.py`, `links.py`).

Opaque one-time tokens (refresh tokens, mailed links): 32 random bytes, stored only as
their SHA-256, so a database leak hands out no usable token.
"""

from __future__ import annotations

import hashlib
import secrets

from projectconnect.auth.models import User
from projectconnect.auth.passwords import PasswordHasher, password_policy_errors
from projectconnect.infra.events import UserProfile
from projectconnect.infra.problems import Conflict, FieldError, InvalidInput


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> tuple[str, str]:
    """A fresh token and the hash it is stored as."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def profile(user: User) -> UserProfile:
    """What other services copy of the user (`user.registered`, `user.updated`)."""
    return UserProfile(
        user_id=user.id,
        email=user.email,
        display_name=user.display_name,
        profile_version=user.profile_version,
    )


async def new_password_hash(
    hasher: PasswordHasher, user: User, new_password: str, *, current: str | None = None
) -> str:
    """The hash of a new password (`new_password`) that meets the policy; else the 422.

    Call it with no database connection held: the hash waits in the hashing queue.
    """
    errors = password_policy_errors(
        new_password, user.email, user.display_name, field="new_password", current=current
    )
    if errors:
        raise InvalidInput("The new password does not meet the policy.", errors=errors)
    return await hasher.hash(new_password)


def email_taken() -> Conflict:
    return Conflict(
        "An account with this email already exists.",
        errors=[FieldError(field="email", code="email_taken", message="This email is taken.")],
    )
