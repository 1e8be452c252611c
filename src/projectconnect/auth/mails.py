"""The auth service's mail: what each message says and where its link leads.

Rendered here, in the request's transaction, from the templates shipped in
`mail_templates/`; delivered later by the mailer (`infra/mailer.py`).
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from projectconnect.infra.mail import MailMessage, MailTemplates

VERIFY_EMAIL_PAGE = "/verify-email"
RESET_PASSWORD_PAGE = "/reset-password"  # noqa: S105 - a page's path


class _LinkMail(NamedTuple):
    template: str
    category: str
    page: str


_VERIFICATION = _LinkMail("verify_email", "email_verification", VERIFY_EMAIL_PAGE)
_RESET = _LinkMail("password_reset", "password_reset", RESET_PASSWORD_PAGE)
_CHANGE = _LinkMail("email_change", "email_change", VERIFY_EMAIL_PAGE)


class AccountMails:
    def __init__(self, public_url: str, templates: MailTemplates | None = None) -> None:
        self.public_url = public_url.rstrip("/")
        self.templates = templates or MailTemplates("projectconnect.auth")

    def _message(self, template: str, to: str, category: str, **context: object) -> MailMessage:
        rendered = self.templates.render(template, email=to, **context)
        return MailMessage(
            to=[to],
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            category=category,
        )

    def _link_message(
        self, kind: _LinkMail, to: str, token: str, valid: dt.timedelta, **context: object
    ) -> MailMessage:
        """A message with a one-time link to `kind.page`, and how long the link works."""
        return self._message(
            kind.template,
            to,
            kind.category,
            # token_urlsafe's alphabet needs no escaping in a query.
            link=f"{self.public_url}{kind.page}?token={token}",
            valid_hours=round(valid.total_seconds() / 3600),
            valid_minutes=round(valid.total_seconds() / 60),
            **context,
        )

    def verification(
        self, email: str, display_name: str | None, token: str, valid: dt.timedelta
    ) -> MailMessage:
        return self._link_message(_VERIFICATION, email, token, valid, display_name=display_name)

    def password_reset(
        self, email: str, display_name: str | None, token: str, valid: dt.timedelta
    ) -> MailMessage:
        return self._link_message(_RESET, email, token, valid, display_name=display_name)

    def email_change(
        self,
        new_email: str,
        old_email: str,
        display_name: str | None,
        token: str,
        valid: dt.timedelta,
    ) -> MailMessage:
        return self._link_message(
            _CHANGE, new_email, token, valid, old_email=old_email, display_name=display_name
        )

    def email_changed(
        self, old_email: str, new_email: str, display_name: str | None
    ) -> MailMessage:
        return self._message(
            "email_changed",
            old_email,
            "email_changed_notice",
            new_email=new_email,
            display_name=display_name,
        )
