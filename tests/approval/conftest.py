"""Approval tests: the desk fixture, and the real Dovecot and SMTP sink of the mail tests."""

from mail.conftest import dovecot, imap_user, mail_config, smtp_server, smtp_sink  # noqa: F401  (fixtures)
from support.desk import desk  # noqa: F401  (fixture)
