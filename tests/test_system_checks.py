"""Django's system checks pass on the shipped settings (a settings slip, such as a setting
a library reads in an old format, would otherwise surface only in `hindsight migrate`)."""

from django.core.management import call_command


def test_the_system_checks_pass(db):
    call_command("check", fail_level="WARNING")
