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
FRONT_MATTER = 20_000  # an imported document's other front matter, as JSON characters
FRONT_MATTER_KEY = 200
NUMBER_DIGITS = 100  # the longest whole number front matter may hold

# How many entries a report's lists may hold: far beyond a real report, low enough that one
# request cannot hold the writer for long (the Markdown import is bounded by them too).
TIMELINE_EVENTS = 2_000
ACTION_ITEMS = 1_000
CONTRIBUTORS = 200
TAGS = 100
SECTION_ENTRIES = 500  # each list inside the sections (factors, whys, participants…)
CUSTOM_SECTIONS = 200
