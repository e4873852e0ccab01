"""The ``soriloop`` console command: serve, and Django's management commands under their names."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "soriloop.settings")
    import django

    django.setup()


def _manage(argv: list[str]) -> None:
    _django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["soriloop", *argv])


def _prepare(*, demo: bool) -> None:
    _django()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    if demo:
        call_command("demo")
    print(f"Soriloop data: {Path(settings.DATA_DIR)}", flush=True)


def serve(args: argparse.Namespace) -> int:
    """Migrate, then run granian (WSGI), the task worker and optionally the SMTP server,
    each restarted if it dies, until told to stop (SIGTERM or SIGINT)."""
    _prepare(demo=args.demo)
    from django.conf import settings

    from soriloop.core.heartbeat import HeartbeatWatch, heartbeat_forget_process
    from soriloop.core.supervise import Child, Supervisor

    web = [
        sys.executable, "-m", "granian", "--interface", "wsgi",
        "--host", args.host, "--port", str(args.port), "--workers", str(args.workers),
        "--blocking-threads", str(args.threads), "--backpressure", str(args.threads * 16),
        "--static-path-route", "/static", "--static-path-mount", str(settings.STATIC_ROOT),
        "--no-ws", "--log-level", "warning", "soriloop.wsgi:application",
    ]  # fmt: skip
    children = [Child(name="web", argv=web)]
    worker = None
    if not args.no_worker:
        worker = Child(name="worker", argv=[sys.executable, "-m", "soriloop.cli", "worker"])
        children.append(worker)
    if args.smtpd:
        children.append(Child(name="smtpd", argv=[sys.executable, "-m", "soriloop.cli", "smtpd"]))

    def exited(child: Child, pid: int) -> None:
        if child is worker:
            heartbeat_forget_process(pid=pid)

    supervisor = Supervisor(children, on_exit=exited)
    stopping: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, _frame: stopping.append(signum))
    signal.signal(signal.SIGINT, lambda signum, _frame: stopping.append(signum))
    supervisor.start_all()
    print(f"Soriloop is serving at http://{args.host}:{args.port}", flush=True)
    watch = HeartbeatWatch(interval=settings.WORKER_HEARTBEAT_SECONDS)
    try:
        while not stopping:
            supervisor.check()
            if worker is not None:
                watch.check(pid=worker.pid, since=worker.started_at)
            time.sleep(0.5)
    finally:
        code = supervisor.stop()
    return code


# Run as Django management commands; `soriloop NAME --help` shows each one's options.
PASSED_THROUGH = {
    "worker": "run background tasks and analysis, with a heartbeat",
    "demo": "create or refresh the demo workspace",
    "import": "import a CSV, JSONL, XLSX, .eml or .mbox file",
    "smtpd": "receive feedback by e-mail (SMTP)",
    "train": "train the sentiment head from the shared training data",
    "eval": "evaluate a model on a labelled JSONL file",
    "reanalyze": "analyse a workspace again, counting what changed",
    "rollups": "rebuild or refresh the dashboard rollups",
    "import-events": "import customer events from a CSV or JSONL file",
    "reencrypt": "seal customer e-mail, phone and name again under the first key (rotation)",
    "manage": "any Django management command (migrate, shell, ...)",
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(
        prog="soriloop",
        description="Soriloop feedback platform",
        epilog="`soriloop COMMAND --help` shows a command's options.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    p_serve = commands.add_parser("serve", help="run the web server and the worker, supervised")
    p_serve.add_argument("--host", default="127.0.0.1")
    p_serve.add_argument("--port", type=int, default=8000)
    p_serve.add_argument("--workers", type=int, default=2, help="web worker processes")
    p_serve.add_argument("--threads", type=int, default=2, help="request threads per worker")
    p_serve.add_argument("--demo", action="store_true", help="load the demo workspace first")
    p_serve.add_argument("--no-worker", action="store_true", help="do not start the task worker")
    p_serve.add_argument("--smtpd", action="store_true", help="also receive feedback by e-mail")
    for name, line in PASSED_THROUGH.items():
        commands.add_parser(name, help=line, add_help=False)
    if not argv or argv[0] in {"-h", "--help"}:
        parser.print_help()
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if command == "serve":
        return serve(parser.parse_args(argv))
    if command == "manage":
        _manage(rest)
    else:
        # worker, demo and every other management command (migrate, import, ...)
        _manage([command.replace("-", "_"), *rest])
    return 0


if __name__ == "__main__":
    sys.exit(main())
