"""Trust tests: hostile input from outside, on every path."""

from mail.conftest import dovecot, eml, imap_user, mail_config, smtp_server, smtp_sink  # noqa: F401  (fixtures)
from support.desk import desk  # noqa: F401  (fixture)
