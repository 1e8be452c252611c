"""The auth service's mail: what each message says and where its link leads.

Rendered here, in the request's transaction, from the templates shipped in
`mail_templates/`; delivered later by the mailer (`infra/mailer.py`).
"""

from __future__ import annotations

import datetime as dt

from projectconnect.infra.mail import MailMessage, MailTemplates

VERIFY_EMAIL_PAGE = "/verify-email"
RESET_PASSWORD_PAGE = "/reset-password"  # noqa: S105 - a page's path


class AccountMails:
    def __init__(self, public_url: str, templates: MailTemplates | None = None) -> None:
        self.public_url = public_url.rstrip("/")
        self.templates = templates or MailTemplates("projectconnect.auth")

    def _link(self, page: str, token: str) -> str:
        # token_urlsafe's alphabet needs no escaping in a query.
        return f"{self.public_url}{page}?token={token}"

    def _message(self, template: str, to: str, category: str, **context: object) -> MailMessage:
        rendered = self.templates.render(template, email=to, **context)
        return MailMessage(
            to=[to],
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            category=category,
        )

    def verification(
        self, email: str, display_name: str | None, token: str, valid: dt.timedelta
    ) -> MailMessage:
        return self._message(
            "verify_email",
            email,
            "email_verification",
            display_name=display_name,
            link=self._link(VERIFY_EMAIL_PAGE, token),
            valid_hours=round(valid.total_seconds() / 3600),
        )

    def password_reset(
        self, email: str, display_name: str | None, token: str, valid: dt.timedelta
    ) -> MailMessage:
        return self._message(
            "password_reset",
            email,
            "password_reset",
            display_name=display_name,
            link=self._link(RESET_PASSWORD_PAGE, token),
            valid_minutes=round(valid.total_seconds() / 60),
        )

    def email_change(
        self,
        new_email: str,
        old_email: str,
        display_name: str | None,
        token: str,
        valid: dt.timedelta,
    ) -> MailMessage:
        return self._message(
            "email_change",
            new_email,
            "email_change",
            old_email=old_email,
            display_name=display_name,
            link=self._link(VERIFY_EMAIL_PAGE, token),
            valid_hours=round(valid.total_seconds() / 3600),
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
