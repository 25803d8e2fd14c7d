"""python manage.py ensure_admin: make sure an administrator can log in to a fresh install.

Creates the superuser `admin` with a random password the first time (saved to .data/admin-password,
readable by the owner only, and printed), and does nothing once any superuser exists.
"""

from __future__ import annotations

import os
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create the first administrator (admin, random password in .data/admin-password) if none exists."

    def handle(self, *args, **options) -> None:
        users = get_user_model()
        secret_file = settings.BASE_DIR / ".data" / "admin-password"
        if users.objects.filter(is_superuser=True).exists():
            if secret_file.exists():
                self.stdout.write(f"admin login: user admin, password in {secret_file}")
            return
        password = secrets.token_urlsafe(12)
        users.objects.create_superuser("admin", "", password)
        secret_file.parent.mkdir(exist_ok=True)
        secret_file.write_text(password + "\n")
        os.chmod(secret_file, 0o600)
        self.stdout.write(self.style.SUCCESS(f"created administrator: user admin, password {password} "
                                             f"(saved in {secret_file})"))
