"""The auth service's HTTP routes: thin, they parse, call a use case and shape the answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Cookie, Depends, Request, Response, status
from starlette.types import Scope

from projectconnect.auth.schemas import (
    Accepted,
    AccountDeletion,
    EmailChange,
    EmailVerification,
    JsonWebKeySet,
    PasswordChange,
    PasswordForgot,
    PasswordReset,
    RefreshRequest,
    TokenPair,
    TokenSubject,
    UserLogin,
    UserPublic,
    UserRegister,
    UserUpdate,
)
from projectconnect.auth.service import AuthService, IssuedTokens
from projectconnect.auth.settings import AuthSettings
from projectconnect.infra.frontdoor import Answer
from projectconnect.infra.problems import Unauthorized, problem_responses
from projectconnect.infra.security import BearerToken, bearer_of
from projectconnect.infra.tokens import AccessClaims

REFRESH_COOKIE = "refresh_token"
COOKIE_PATH = "/auth"

router = APIRouter(prefix="/auth", tags=["auth"], responses=problem_responses(422, 500))


async def get_service(request: Request) -> AuthService:
    service: AuthService = request.app.state.auth_service
    return service


async def get_settings(request: Request) -> AuthSettings:
    settings: AuthSettings = request.app.state.auth_settings
    return settings


ServiceDep = Annotated[AuthService, Depends(get_service)]
SettingsDep = Annotated[AuthSettings, Depends(get_settings)]


async def current_claims(token: BearerToken, service: ServiceDep) -> AccessClaims:
    return await service.authenticate(token)


CurrentClaims = Annotated[AccessClaims, Depends(current_claims)]
UNAUTHORIZED = problem_responses(401)
JSON = b"application/json"


def client_ip(request: Request) -> str:
    # Behind the gateway, servers.behind_proxy (FORWARDED_ALLOW_IPS) makes this the client.
    return request.client.host if request.client else "unknown"


def _cookie_secure(request: Request, settings: AuthSettings) -> bool:
    if settings.cookie_secure is not None:
        return settings.cookie_secure
    # After servers.behind_proxy: https behind the gateway, the connection's own otherwise.
    return request.url.scheme == "https"


def _token_response(
    tokens: IssuedTokens, request: Request, response: Response, settings: AuthSettings
) -> TokenPair:
    response.set_cookie(
        REFRESH_COOKIE,
        tokens.refresh_token,
        expires=tokens.session_expires_at,
        path=COOKIE_PATH,
        httponly=True,
        secure=_cookie_secure(request, settings),
        samesite="strict",
    )
    return TokenPair(
        access_token=tokens.access_token,
        expires_in=tokens.expires_in,
        refresh_token=tokens.refresh_token,
    )


def _clear_cookie(request: Request, response: Response, settings: AuthSettings) -> None:
    response.delete_cookie(
        REFRESH_COOKIE,
        path=COOKIE_PATH,
        httponly=True,
        secure=_cookie_secure(request, settings),
        samesite="strict",
    )


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(409, 429, 503),
)
async def register(body: UserRegister, request: Request, service: ServiceDep) -> UserPublic:
    user = await service.register(body.email, body.password, body.display_name, client_ip(request))
    return UserPublic.model_validate(user, from_attributes=True)


@router.post("/login", responses={**UNAUTHORIZED, **problem_responses(429, 503)})
async def login(
    body: UserLogin,
    request: Request,
    response: Response,
    service: ServiceDep,
    settings: SettingsDep,
) -> TokenPair:
    tokens = await service.login(body.email, body.password, client_ip(request))
    return _token_response(tokens, request, response, settings)


@router.post("/refresh", responses=UNAUTHORIZED)
async def refresh(
    request: Request,
    response: Response,
    service: ServiceDep,
    settings: SettingsDep,
    body: Annotated[RefreshRequest | None, Body()] = None,
    refresh_cookie: Annotated[str | None, Cookie(alias=REFRESH_COOKIE)] = None,
) -> TokenPair:
    token = (body.refresh_token if body else None) or refresh_cookie
    if not token:
        raise Unauthorized("A refresh token is required, in the cookie or the body.")
    tokens = await service.refresh(token)
    return _token_response(tokens, request, response, settings)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, responses=UNAUTHORIZED)
async def logout(
    claims: CurrentClaims,
    request: Request,
    response: Response,
    service: ServiceDep,
    settings: SettingsDep,
) -> None:
    await service.logout(claims)
    _clear_cookie(request, response, settings)


@router.post("/logout-all", status_code=status.HTTP_204_NO_CONTENT, responses=UNAUTHORIZED)
async def logout_all(
    claims: CurrentClaims,
    request: Request,
    response: Response,
    service: ServiceDep,
    settings: SettingsDep,
) -> None:
    await service.logout_all(claims)
    _clear_cookie(request, response, settings)


@router.get("/me", responses=UNAUTHORIZED)
async def read_me(claims: CurrentClaims, service: ServiceDep) -> UserPublic:
    user = await service.get_user(claims)
    return UserPublic.model_validate(user, from_attributes=True)


@router.patch("/me", responses=UNAUTHORIZED)
async def update_me(body: UserUpdate, claims: CurrentClaims, service: ServiceDep) -> UserPublic:
    user = await service.update_display_name(claims, body.display_name)
    return UserPublic.model_validate(user, from_attributes=True)


@router.post(
    "/me/password",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**UNAUTHORIZED, **problem_responses(403, 429, 503)},
)
async def change_password(
    body: PasswordChange, request: Request, claims: CurrentClaims, service: ServiceDep
) -> None:
    await service.change_password(
        claims, body.current_password, body.new_password, client_ip(request)
    )


@router.delete(
    "/me",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**UNAUTHORIZED, **problem_responses(403, 429, 503)},
)
async def delete_me(
    body: AccountDeletion,
    request: Request,
    claims: CurrentClaims,
    response: Response,
    service: ServiceDep,
    settings: SettingsDep,
) -> None:
    await service.delete_account(claims, body.password, client_ip(request))
    _clear_cookie(request, response, settings)


FORGOT_ACCEPTED = (
    "If an account uses this address, a link to choose a new password is on its way. "
    "It works once, within the hour."
)


@router.post(
    "/password/forgot",
    status_code=status.HTTP_202_ACCEPTED,
    responses=problem_responses(429, 503),
)
async def forgot_password(body: PasswordForgot, request: Request, service: ServiceDep) -> Accepted:
    """Mail a reset link; the same answer, in the same time, whether or not the account exists."""
    await service.forgot_password(body.email, client_ip(request))
    return Accepted(detail=FORGOT_ACCEPTED)


@router.post(
    "/password/reset",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(503),
)
async def reset_password(body: PasswordReset, service: ServiceDep) -> None:
    """Set a new password with a mailed link's token; every session of the account ends."""
    await service.links.reset_password(body.token, body.new_password)


@router.post(
    "/email/verify", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(409)
)
async def verify_email(body: EmailVerification, service: ServiceDep) -> None:
    """Follow a verification link: the address is verified, or a pending change made."""
    await service.links.verify_email(body.token)


@router.post(
    "/me/email/verification",
    status_code=status.HTTP_202_ACCEPTED,
    responses={**UNAUTHORIZED, **problem_responses(429)},
)
async def resend_verification(
    request: Request, claims: CurrentClaims, service: ServiceDep
) -> Accepted:
    """Mail a new verification link to the account's address (if it is not verified yet)."""
    await service.links.resend_verification(claims.subject, client_ip(request))
    return Accepted(detail="If your address is not verified yet, a new link is on its way.")


@router.post(
    "/me/email",
    status_code=status.HTTP_202_ACCEPTED,
    responses={**UNAUTHORIZED, **problem_responses(403, 409, 429, 503)},
)
async def change_email(
    body: EmailChange, request: Request, claims: CurrentClaims, service: ServiceDep
) -> UserPublic:
    """Ask to change the address: it stays pending until the link mailed to it is followed."""
    user = await service.request_email_change(claims, body.email, body.password, client_ip(request))
    return UserPublic.model_validate(user, from_attributes=True)


def token_subject(claims: AccessClaims) -> TokenSubject:
    return TokenSubject(
        sub=claims.subject, sid=claims.session_id, exp=int(claims.expires_at.timestamp())
    )


@router.get("/validate", responses=UNAUTHORIZED)
async def validate(claims: CurrentClaims, response: Response) -> TokenSubject:
    # For the gateway's auth_request: who the caller is, for per-user limits.
    response.headers["X-User-Id"] = str(claims.subject)
    return token_subject(claims)


class FastValidate:
    """`validate`'s passes as a fast path (infra/frontdoor.py): the gateway asks it before
    each request it forwards. Whatever does not pass goes on to the route, which answers."""

    template = "/auth/validate"

    def __init__(self, service: AuthService) -> None:
        self.service = service

    def match(self, path: str) -> dict[str, str] | None:
        return {} if path == self.template else None

    async def answer(self, scope: Scope, params: dict[str, str]) -> Answer | None:
        token = bearer_of(scope)
        if token is None:
            return None
        try:
            claims = await self.service.authenticate(token)
        except Unauthorized:
            return None
        body = token_subject(claims).model_dump_json().encode()
        return Answer(body, [(b"content-type", JSON), (b"x-user-id", str(claims.subject).encode())])


@router.get("/.well-known/jwks.json")
async def jwks(service: ServiceDep, response: Response) -> JsonWebKeySet:
    response.headers["Cache-Control"] = "public, max-age=300"
    return JsonWebKeySet.model_validate(service.signer.jwks())
