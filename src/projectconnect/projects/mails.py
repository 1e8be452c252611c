"""The projects service's mail: an invitation, with its link to the web app's page.

Rendered in the invitation's transaction from `mail_templates/`, written into the
service's own mail outbox and delivered by the mailer (`infra/mail.py`).
"""

from __future__ import annotations

import datetime as dt

from projectconnect.infra.mail import MailMessage, MailTemplates

INVITATION_PAGE = "/invite/"
_ROLE_PHRASES = {
    "owner": "an owner",
    "admin": "an admin",
    "member": "a member",
    "viewer": "a viewer",
}


def invitation_link(public_url: str, token: str) -> str:
    """The web app's page for an invitation (token_urlsafe's alphabet needs no escaping)."""
    return public_url.rstrip("/") + INVITATION_PAGE + token


class InvitationMails:
    def __init__(self, templates: MailTemplates | None = None) -> None:
        self.templates = templates or MailTemplates("projectconnect.projects")

    def invitation(
        self,
        email: str,
        *,
        link: str,
        workspace_name: str,
        inviter_name: str,
        role: str,
        valid: dt.timedelta,
    ) -> MailMessage:
        rendered = self.templates.render(
            "invitation",
            email=email,
            # The layout greets by name; the invitee may have no account yet.
            display_name=None,
            link=link,
            workspace_name=workspace_name,
            inviter_name=inviter_name,
            role_phrase=_ROLE_PHRASES.get(role, role),
            valid_days=valid.days,
        )
        return MailMessage(
            to=[email],
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            category="invitation",
        )
