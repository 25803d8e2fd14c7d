"""Logins and failed logins go to the audit trail."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from geo.access import audit
from geo.models import AuditRecord


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs) -> None:
    audit(user, AuditRecord.Action.LOGIN, target=user.get_username(), request=request)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs) -> None:
    audit(None, AuditRecord.Action.LOGIN_FAILED, target=str(credentials.get("username", ""))[:150], request=request)
