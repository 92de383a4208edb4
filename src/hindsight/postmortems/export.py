"""Markdown export: the report as a document a team can keep next to its other docs."""

from hindsight.postmortems.models import ItemStatus, PostMortem


def _one_line(text: str) -> str:
    """Timeline and checklist entries are single lines; keep a multi-line value readable."""
    return " ".join(text.split())


def action_item_line(item) -> str:
    box = "x" if item.status == ItemStatus.DONE else " "
    owner = item.owner or "unassigned"
    due = item.due_date.isoformat() if item.due_date else "no due date"
    state = "" if item.status in (ItemStatus.DONE, ItemStatus.TODO) else f" · {item.status}"
    return f"- [{box}] {_one_line(item.description)} ({item.priority}) — owner: {owner} · due: {due}{state}"


def to_markdown(postmortem: PostMortem) -> str:
    parts = [
        f"# {_one_line(postmortem.title)}",
        "## Summary",
        postmortem.summary.strip() or "_None._",
    ]
    if postmortem.impact is not None:
        parts += ["## Impact", postmortem.impact.strip() or "_None._"]
    if postmortem.root_cause is not None:
        parts += ["## Root Cause", postmortem.root_cause.strip() or "_None._"]
    events = postmortem.timeline
    if events:
        lines = []
        for event in events:
            line = f"- {event.time} - {_one_line(event.description)}"
            if event.who:
                line += f" ({_one_line(event.who)})"
            lines.append(line)
        parts += ["## Timeline", "\n".join(lines)]
    items = postmortem.action_item_list
    if items:
        parts += ["## Action Items", "\n".join(action_item_line(i) for i in items)]
    if postmortem.contributors:
        parts += ["## Contributors", "\n".join(f"- {c}" for c in postmortem.contributors)]
    return "\n\n".join(parts) + "\n"
