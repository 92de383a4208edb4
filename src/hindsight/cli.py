"""The `hindsight` command: serve, worker, migrate, users, tokens, export, import, lint,
backup, demo."""

import argparse
import os
import sys
from pathlib import Path

# Plain modules that load no app: the commands import the rest after django.setup().
from hindsight.lib.env import env_choice, env_int, env_secret
from hindsight.lib.errors import DomainError, NotFound

EXIT_USAGE = 2
# What `hindsight serve` serves; lib/server.py takes it as a parameter (lib knows no app).
WSGI_APPLICATION = "hindsight.wsgi:application"


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hindsight.settings")
    import django

    django.setup()


def _fail(message: str, code: int = 1) -> int:
    print(f"hindsight: {message}", file=sys.stderr)
    return code


def _acting_user(name: str | None):
    """The user a command acts as: --as USER, else an unsaved admin (the operator, who has
    the database anyway)."""
    from hindsight.accounts.models import Role, User
    from hindsight.accounts.services import get_user

    if name:
        return get_user(name)
    return User(username="cli", role=Role.ADMIN)


# Commands -----------------------------------------------------------------------------


def _migrated(count: int) -> str:
    if count:
        return f"Applied {count} migration{'s' if count != 1 else ''}; the database is up to date."
    return "The database is up to date."


def _ensure_migrated() -> None:
    from hindsight.lib.migrate import ensure_migrated

    count = ensure_migrated()
    if count:
        print(f"hindsight: {_migrated(count)}", file=sys.stderr)


def _note_base_url(what: str) -> None:
    """When HINDSIGHT_BASE_URL is not set, say at start (stderr) what goes without it:
    pages follow each request's own host and port, but a notification or a file written
    here has no request to follow. WHAT may name {base}, the default address."""
    from django.conf import settings

    if settings.BASE_URL_CONFIGURED:
        return
    print(
        f"hindsight: note: HINDSIGHT_BASE_URL is not set, so {what.format(base=settings.BASE_URL)}."
        " Set it to the address people open Hindsight at.",
        file=sys.stderr,
        flush=True,
    )


def _exported_site() -> str | None:
    """The site exports written by the CLI link to: HINDSIGHT_BASE_URL, or none at all
    (rather than a guessed address)."""
    from django.conf import settings

    return settings.BASE_URL if settings.BASE_URL_CONFIGURED else None


def _refresh_documents() -> None:
    """Re-render stored post-mortem documents written by an older version of Hindsight."""
    from hindsight.postmortems.document import refresh_stale

    count = refresh_stale()
    if count:
        print(f"Re-rendered {count} stored post-mortem documents.", flush=True)


def _report_collisions() -> None:
    """Name the users who share a name or email (made before that was refused): a
    contributor or owner written that way names none of them until an admin fixes it."""
    from hindsight.accounts.services import identity_collisions

    collisions = identity_collisions()
    if not collisions:
        return
    lines = [
        f"  {key}: {', '.join(user.username for user in users)}"
        for key, users in collisions.items()
    ]
    print(
        "hindsight: warning: these names or emails belong to more than one user, so a"
        " contributor written that way gives none of them access:\n"
        + "\n".join(lines)
        + "\nChange the name or email of all but one of each (Users in /admin/).",
        file=sys.stderr,
        flush=True,
    )


def _after_migrating() -> None:
    _refresh_documents()
    _report_collisions()


def cmd_migrate(args) -> int:
    from hindsight.lib.migrate import migrate_locked

    count = migrate_locked(verbosity=1 if args.verbose else 0, then=_after_migrating)
    print(_migrated(count))
    return 0


def cmd_serve(args) -> int:
    from django.conf import settings

    from hindsight.lib import server
    from hindsight.lib.migrate import migrate_locked

    workers = args.workers or env_int("HINDSIGHT_WORKERS", 2, minimum=1)
    server_name = env_choice("HINDSIGHT_SERVER", server.SERVERS, "granian")
    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql") and not env_secret(
        "HINDSIGHT_SECRET_KEY"
    ):
        # Each server would otherwise sign sessions with its own data dir's key.
        print(
            "hindsight: warning: HINDSIGHT_SECRET_KEY is not set; servers that share this"
            " database must all be given the same key.",
            file=sys.stderr,
            flush=True,
        )
    _note_base_url(
        "links in notifications point to {base} (pages and their exports link to the"
        " address each request came to)"
    )
    print(_migrated(migrate_locked(verbosity=0, then=_after_migrating)), flush=True)
    print(
        f"Hindsight on http://{args.host}:{args.port} ({server_name}, {workers} workers);"
        f" data in {settings.DATA_DIR}; database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}",
        flush=True,
    )
    server.run(
        WSGI_APPLICATION,
        server=server_name,
        host=args.host,
        port=args.port,
        workers=workers,
        threads=args.threads,
    )
    return 0


def cmd_user_add(args) -> int:
    import getpass

    from hindsight.accounts.services import create_user

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    elif not sys.stdin.isatty():
        return _fail("no terminal to ask for the password; pass --password-stdin", EXIT_USAGE)
    else:
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            return _fail("the passwords differ")
    _ensure_migrated()
    user = create_user(args.name, password=password, email=args.email or "", role=args.role)
    print(f"Created {user.role} {user.username}.")
    return 0


def cmd_user_list(args) -> int:
    from hindsight.accounts.models import User

    _ensure_migrated()
    for user in User.objects.order_by("username"):
        state = "" if user.is_active else " (deactivated)"
        print(f"{user.username}\t{user.role}\t{user.email}{state}")
    return 0


def cmd_token_new(args) -> int:
    from hindsight.accounts.services import create_token, get_user

    _ensure_migrated()
    _, secret = create_token(get_user(args.name), label=args.label or "")
    print(secret)  # alone on stdout, so scripts can capture it
    return 0


def cmd_token_list(args) -> int:
    from hindsight.accounts.services import get_user

    _ensure_migrated()
    user = get_user(args.name)
    print("ID\tHINT\tLABEL\tCREATED\tLAST USED\tREVOKED")
    for token in user.tokens.all():
        print(
            "\t".join(
                str(v or "-")
                for v in (
                    token.pk,
                    token.hint + "…",
                    token.label,
                    token.created_at.isoformat(timespec="seconds"),
                    token.last_used_at and token.last_used_at.isoformat(timespec="seconds"),
                    token.revoked_at and token.revoked_at.isoformat(timespec="seconds"),
                )
            )
        )
    return 0


def cmd_token_revoke(args) -> int:
    from hindsight.accounts.services import revoke_token

    _ensure_migrated()
    token = revoke_token(args.id)
    print(f"Revoked token {token.pk} ({token.label or 'no label'}) of {token.user.username}.")
    return 0


def cmd_export(args) -> int:
    from hindsight.postmortems import export_formats
    from hindsight.postmortems.services import get_postmortem_for

    if bool(args.id) == bool(args.all):
        return _fail("give a post-mortem ID or --all DIR (not both)", EXIT_USAGE)
    if args.all and args.output:
        return _fail("--all writes one file per post-mortem into DIR; -o is for one ID", EXIT_USAGE)
    export_formats.get_format(args.format)  # refuse an unknown format before any work
    if args.format in ("html", "pdf"):
        _note_base_url("the export links to no report on the site")
    _ensure_migrated()
    user = _acting_user(args.as_user)
    if args.all:
        return _export_all(user, Path(args.all), args.format)
    try:
        postmortem = get_postmortem_for(user, args.id)
    except NotFound:
        if args.as_user:
            return _fail(f"{args.id} does not exist or {user.username} may not see it.")
        raise
    content = export_formats.render(postmortem, args.format, site=_exported_site())
    if args.output and args.output != "-":
        Path(args.output).write_bytes(content)
        print(f"Wrote {args.output}.", file=sys.stderr)
    else:
        sys.stdout.flush()
        sys.stdout.buffer.write(content)
        sys.stdout.buffer.flush()
    return 0


def _export_all(user, directory: Path, fmt: str) -> int:
    """Write every post-mortem USER may see into DIRECTORY, one <id>.<ext> file each."""
    from tqdm import tqdm

    from hindsight.postmortems import export_formats
    from hindsight.postmortems.models import PostMortem

    if directory.exists() and not directory.is_dir():
        return _fail(f"{directory} exists and is not a directory", EXIT_USAGE)
    directory.mkdir(parents=True, exist_ok=True)
    queryset = PostMortem.objects.visible_to(user).order_by("created_at", "id")
    total = queryset.count()
    written = 0
    # In chunks, each with its own prefetch, so memory stays flat however many there are.
    rows = queryset.with_report().iterator(chunk_size=100)
    for postmortem in tqdm(rows, total=total, unit="report", desc="Exporting", file=sys.stderr):
        target = directory / export_formats.filename(postmortem, fmt)
        target.write_bytes(export_formats.render(postmortem, fmt, site=_exported_site()))
        written += 1
    noun = "post-mortem" if written == 1 else "post-mortems"
    print(f"Wrote {written} {noun} to {directory}.", file=sys.stderr)
    return 0


def cmd_import(args) -> int:
    from tqdm import tqdm

    from hindsight.accounts.models import Role, User
    from hindsight.postmortems.markdown.importer import import_markdown

    _ensure_migrated()
    if args.as_user:
        user = _acting_user(args.as_user)
    else:
        # Post-mortems need a real author: without --as, the first admin signs them.
        user = User.objects.filter(role=Role.ADMIN, is_active=True).order_by("pk").first()
        if user is None:
            return _fail("there is no admin to import as; pass --as USER", EXIT_USAGE)
    done, failed = [], []
    for name in tqdm(args.files, unit="file", disable=len(args.files) < 2, file=sys.stderr):
        path = Path(name)
        try:
            data = path.read_bytes()
            if len(data) > IMPORT_LIMIT:
                raise ValueError(f"larger than {IMPORT_LIMIT // 1024} KiB")
            result = import_markdown(
                data.decode("utf-8"), by=user, incident_title=args.incident_title
            )
        except UnicodeDecodeError as exc:
            failed.append((name, f"not UTF-8 (byte {exc.start})"))
        except DomainError as exc:
            failed.append((name, exc.message))
        except (OSError, ValueError) as exc:
            failed.append((name, str(exc)))
        else:
            done.append((name, result))
    print(f"Imported {len(done)} of {len(args.files)} files as {user.username}.")
    for name, result in done:
        pm = result.postmortem
        custom = f"; custom: {', '.join(result.custom)}" if result.custom else ""
        recognised = ", ".join(result.recognised)
        print(f"  {name} → {pm.id} “{pm.title}” (recognised: {recognised}{custom})")
        for warning in result.warnings:
            print(f"    warning: {warning}")
    for name, reason in failed:
        print(f"  {name}: not imported: {reason}")
    return 1 if failed else 0


IMPORT_LIMIT = 1024 * 1024  # as the API's request body limit


def cmd_lint(args) -> int:
    """Lint Markdown post-mortems offline: read by the importer, no database, no server."""
    import json

    from hindsight.postmortems import lint
    from hindsight.postmortems.markdown.importer import parse

    unreadable, errors, report = False, False, []
    for name in args.files:
        try:
            data = Path(name).read_bytes()
            if len(data) > IMPORT_LIMIT:
                raise ValueError(f"larger than {IMPORT_LIMIT // 1024} KiB")
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            unreadable = _lint_unreadable(name, f"not UTF-8 (byte {exc.start})", args, report)
            continue
        except (OSError, ValueError) as exc:
            unreadable = _lint_unreadable(name, str(exc), args, report)
            continue
        try:
            findings = lint.check(parse(text).data)
        except DomainError as exc:
            unreadable = _lint_unreadable(name, exc.message, args, report)
            continue
        errors = errors or lint.has_errors(findings)
        lines = text.split("\n")
        for finding in findings:
            line = _line_of(finding.excerpt, lines)
            if args.format == "json":
                report.append({"file": name, "line": line, **finding.as_dict()})
            else:
                where = f"{name}:{line}" if line else name
                print(f"{where}: {finding.severity} {finding.rule}: {finding.message}")
    if args.format == "json":
        print(json.dumps(report, indent=2, ensure_ascii=False))
    return 2 if unreadable else 1 if errors else 0


def _lint_unreadable(name: str, reason: str, args, report: list) -> bool:
    if args.format == "json":
        report.append({"file": name, "error": reason})
    else:
        print(f"{name}: cannot be read: {reason}", file=sys.stderr)
    return True


def _line_of(excerpt: str, lines: list[str]) -> int | None:
    """The first line (1-based) holding EXCERPT, or None."""
    first = next((part.strip() for part in excerpt.split("\n") if part.strip()), "")
    if not first:
        return None
    for number, line in enumerate(lines, start=1):
        if first in line:
            return number
    return None


def cmd_backup(args) -> int:
    from hindsight.lib.backup import backup_sqlite

    target = Path(args.file)
    if target.exists() and not args.force:
        return _fail(f"{target} exists; pass --force to overwrite it")
    size = backup_sqlite(target)
    print(f"Backed up to {target} ({size / 1024:.0f} KiB).")
    return 0


def cmd_demo(args) -> int:
    from hindsight.demo import load_demo

    _ensure_migrated()
    for line in load_demo():
        print(line)
    return 0


def cmd_worker(args) -> int:
    import signal

    from hindsight.notifications.conf import WorkerConfig
    from hindsight.notifications.worker import Worker

    config = WorkerConfig.from_env().with_(check_interval=args.interval, poll=args.poll)
    _note_base_url("links in the notifications this worker sends point to {base}")
    _ensure_migrated()
    worker = Worker(config)
    if args.once:
        sent = worker.run_once()
        print(f"Sent {sent} deliver{'y' if sent == 1 else 'ies'}.")
        return 0
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: worker.stop())
    print(
        f"Worker {worker.name}: checks every {config.check_interval:g} s,"
        f" outbox polled every {config.poll:g} s. SIGTERM stops it after the send in hand.",
        flush=True,
    )
    worker.run()
    print(f"Worker {worker.name} stopped.", flush=True)
    return 0


def cmd_manage(args) -> int:
    from django.core.management import execute_from_command_line

    execute_from_command_line(["hindsight manage", *args.rest])
    return 0


# Parser -------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hindsight",
        description="Hindsight: write, review, publish and learn from blameless post-mortems.",
        epilog="Configuration comes from environment variables (HINDSIGHT_DATA_DIR,"
        " DATABASE_URL, …); see README.md.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    serve = commands.add_parser("serve", help="migrate the database and run the web server")
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument(
        "--workers",
        type=int,
        default=None,
        help="worker processes (default 2, or HINDSIGHT_WORKERS)",
    )
    # Two: more threads share one interpreter lock, and a request waiting for it waits for
    # the others' work; the bench's p99 rose with 4 (README, "The HTTP server").
    serve.add_argument("--threads", type=int, default=2, help="threads per worker (default 2)")
    serve.set_defaults(func=cmd_serve)

    migrate = commands.add_parser("migrate", help="create or upgrade the database schema")
    migrate.add_argument("-v", "--verbose", action="store_true", help="list each migration")
    migrate.set_defaults(func=cmd_migrate)

    user = commands.add_parser("user", help="manage users").add_subparsers(
        dest="user_command", metavar="ACTION", required=True
    )
    add = user.add_parser("add", help="create a user (asks for the password)")
    add.add_argument("name", help="user name")
    add.add_argument("--email", help="email address")
    add.add_argument("--role", choices=["admin", "member", "viewer"], default="member")
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    add.set_defaults(func=cmd_user_add)
    user.add_parser("list", help="list users").set_defaults(func=cmd_user_list)

    token = commands.add_parser("token", help="manage API tokens").add_subparsers(
        dest="token_command", metavar="ACTION", required=True
    )
    new = token.add_parser("new", help="create a token and print it alone on stdout")
    new.add_argument("name", help="the user the token acts as")
    new.add_argument("--label", help="what the token is for")
    new.set_defaults(func=cmd_token_new)
    listing = token.add_parser("list", help="list a user's tokens")
    listing.add_argument("name")
    listing.set_defaults(func=cmd_token_list)
    revoke = token.add_parser("revoke", help="revoke a token by its ID (from `token list`)")
    revoke.add_argument("id", type=int)
    revoke.set_defaults(func=cmd_token_revoke)

    export = commands.add_parser(
        "export", help="export a post-mortem, or all of them, as Markdown, HTML, PDF or JSON"
    )
    export.add_argument("id", nargs="?", help="post-mortem id (pm_…)")
    export.add_argument(
        "--format",
        default="markdown",
        choices=["markdown", "html", "pdf", "json"],
        help="output format (default markdown)",
    )
    export.add_argument("-o", "--output", help="file to write (default: standard output)")
    export.add_argument(
        "--all",
        metavar="DIR",
        help="write every post-mortem (that --as USER may see) into DIR, one <id>.<ext> each",
    )
    export.add_argument("--as", dest="as_user", help="export only what this user may see")
    export.set_defaults(func=cmd_export)

    importing = commands.add_parser("import", help="import Markdown post-mortems")
    importing.add_argument("files", nargs="+", metavar="FILE", help="Markdown files (UTF-8)")
    importing.add_argument("--as", dest="as_user", help="the author (default: the first admin)")
    importing.add_argument(
        "--incident-title",
        metavar="TITLE",
        help="name of the incident each file creates (default: Imported incident YYYY-MM-DD)",
    )
    importing.set_defaults(func=cmd_import)

    linting = commands.add_parser(
        "lint",
        help="check Markdown post-mortems for blame and missing facts (offline; docs/lint.md)",
    )
    linting.add_argument("files", nargs="+", metavar="FILE", help="Markdown files (UTF-8)")
    linting.add_argument("--format", choices=("text", "json"), default="text")
    linting.set_defaults(func=cmd_lint)

    backup = commands.add_parser(
        "backup", help="write a consistent copy of the SQLite database (safe while serving)"
    )
    backup.add_argument("file")
    backup.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    backup.set_defaults(func=cmd_backup)

    demo = commands.add_parser("demo", help="load example incidents, post-mortems and users")
    demo.set_defaults(func=cmd_demo)

    worker = commands.add_parser(
        "worker", help="send notifications from the outbox and run the overdue checks"
    )
    worker.add_argument("--once", action="store_true", help="one pass, then exit")
    worker.add_argument(
        "--interval",
        type=float,
        help="seconds between overdue checks (default 60, or HINDSIGHT_CHECK_INTERVAL)",
    )
    worker.add_argument(
        "--poll",
        type=float,
        help="seconds between looks at the outbox when idle (default 1, or HINDSIGHT_WORKER_POLL)",
    )
    worker.set_defaults(func=cmd_worker)

    manage = commands.add_parser(
        "manage", help="run a Django management command (for maintainers)", add_help=False
    )
    manage.add_argument("rest", nargs=argparse.REMAINDER)
    manage.set_defaults(func=cmd_manage)
    return parser


def main(argv: list[str] | None = None) -> int:
    from django.core.exceptions import ImproperlyConfigured
    from django.db import DatabaseError

    args = build_parser().parse_args(argv)
    try:
        _setup()
        return args.func(args)
    except DomainError as exc:
        return _fail(exc.message, EXIT_USAGE if exc.status in (400, 422) else 1)
    except ImproperlyConfigured as exc:
        return _fail(f"configuration: {exc}", EXIT_USAGE)
    except DatabaseError as exc:
        return _fail(f"database error: {exc}".strip())
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
