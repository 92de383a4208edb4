"""Times are typed as 24-hour UTC text everywhere: no page, template or form offers the
browser's time or date-time widget, which shows a 12-hour clock in many locales."""

import inspect
import re
from pathlib import Path

from django import forms

import hindsight.web
from hindsight.web import forms as web_forms

WIDGET = re.compile(r"""type\s*=\s*["']?(time|datetime-local|datetime)\b""", re.IGNORECASE)
WEB = Path(hindsight.web.__file__).parent


def test_no_template_or_script_holds_a_time_widget():
    files = [*WEB.rglob("*.html"), *WEB.rglob("*.js")]
    assert files
    found = [str(f.relative_to(WEB)) for f in files if WIDGET.search(f.read_text())]
    assert found == []


def test_no_form_field_renders_a_time_widget():
    found = []
    for name, form in inspect.getmembers(web_forms, inspect.isclass):
        if issubclass(form, forms.BaseForm) and hasattr(form, "base_fields"):
            for field_name, field in form.base_fields.items():
                if getattr(field.widget, "input_type", None) in {"time", "datetime-local"}:
                    found.append(f"{name}.{field_name}")
    assert found == []


def test_no_page_with_times_offers_a_time_widget(client, alice, postmortem, incident):
    client.force_login(alice)
    for path in (
        "/postmortems/new",
        f"/postmortems/{postmortem['id']}/edit",
        f"/postmortems/{postmortem['id']}",
        "/incidents/new",
        f"/incidents/{incident.id}/edit",
        "/action-items",
    ):
        page = client.get(path)
        assert page.status_code == 200, path
        assert not WIDGET.search(page.content.decode()), path
