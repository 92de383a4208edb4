"""Every length limit of a post-mortem's text, named once: the models' columns, the API's
schemas, the web forms and the importer all read them from here."""

ID = 32
INCIDENT_ID = 64
TITLE = 300
PROSE = 200_000  # summary, impact, root cause and the long sections
ENTRY_TEXT = 20_000  # an event's description and notes, an item's description and why
LINE = 254  # a contributor or an owner: a user name or an email
SHORT = 500  # one-line section values (incident commander, detection method…)
WHO = 200
EVENT_TIME = 40
URL = 2000
TAG = 100
TEMPLATE_SLUG = 100
