"""Load test: many residents vote over HTTP against gunicorn on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crowd_issue5 \
        .venv/bin/python bench/vote_load.py --voters 3000 --concurrency 12

1. Migrates the database, creates a project with an open approval ballot
   (10 options, 1 to 3 choices) and N confirmed residents, and logs each one
   in by creating an ordinary Django session for them (what the login view
   would store, in the store production uses: Redis when REDIS_URL is set,
   as it is here by default; production authentication is not changed).
2. Starts gunicorn (bench/settings.py: production settings over plain HTTP
   on 127.0.0.1) and waits for /healthz.
3. Sends every resident's vote once, from a bounded pool of threads, each
   with its own keep-alive connection, and times every request.
4. Stops gunicorn and checks exactly that the stored votes equal the votes
   sent: participations, papers and per-option counts.

Prints votes per second and p50/p95/p99 latency.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = os.environ.get(
        "BENCH_SETTINGS", "bench.settings"
    )
    import django

    django.setup()


def prepare(voters: int, run: str):
    from datetime import timedelta
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.core.management import call_command
    from django.utils import timezone

    from crowdsourcing.models import (
        Ballot,
        BallotKind,
        BallotOption,
        Department,
        Project,
        ProjectStage,
        StageKind,
        User,
    )

    call_command("migrate", verbosity=0)
    department, _ = Department.objects.get_or_create(
        slug="bench", defaults={"name": "Нагрузочный тест"}
    )
    project = Project.objects.create(
        department=department, title=f"Нагрузочный тест {run}", slug=f"bench-{run}"
    )
    now = timezone.now()
    ProjectStage.objects.create(
        project=project,
        kind=StageKind.VOTING,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(days=1),
    )
    ballot = Ballot.objects.create(
        project=project,
        title="Нагрузочное голосование",
        kind=BallotKind.APPROVAL,
        min_choices=1,
        max_choices=3,
    )
    options = BallotOption.objects.bulk_create(
        BallotOption(
            ballot=ballot, title=f"Вариант {n}", position=n, external_id=str(n)
        )
        for n in range(10)
    )
    users = User.objects.bulk_create(
        User(
            email=f"bench-{run}-{n}@bench.invalid",
            display_name=f"Житель {n}",
            email_confirmed=True,
            password="!",  # unusable: these accounts never log in by password
        )
        for n in range(voters)
    )
    backend = "django.contrib.auth.backends.ModelBackend"
    # The store production uses: cached sessions when REDIS_URL is set.
    SessionStore = import_module(settings.SESSION_ENGINE).SessionStore
    sessions = []
    for user in users:
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = backend
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        sessions.append(store.session_key)
    return ballot.pk, [o.pk for o in options], sessions


def start_server(port: int, workers: int, env: dict[str, str]) -> subprocess.Popen:
    server_env = dict(os.environ, **env, DJANGO_SETTINGS_MODULE="bench.settings")
    process = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "cms.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=server_env,
    )
    for _ in range(120):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return process
        except OSError:
            pass
        time.sleep(0.5)
    process.terminate()
    raise SystemExit("gunicorn did not answer /healthz")


def stop_server(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def run_load(port, ballot_id, options, sessions, concurrency, seed):
    rng = random.Random(seed)
    plan = [(session, rng.sample(options, rng.randint(1, 3))) for session in sessions]
    sent: Counter = Counter()
    for _session, chosen in plan:
        sent.update(chosen)
    latencies: list[float] = []
    statuses: Counter = Counter()
    lock = threading.Lock()
    cursor = iter(plan)
    path = f"/voting/{ballot_id}/"

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, codes = [], Counter()
        while True:
            with lock:
                item = next(cursor, None)
            if item is None:
                break
            session, chosen = item
            csrf = secrets.token_hex(16)
            body = urlencode(
                [("option", pk) for pk in chosen]
                + [("action", "cast"), ("csrfmiddlewaretoken", csrf)]
            )
            headers = {
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"sessionid={session}; csrftoken={csrf}",
                "Host": "127.0.0.1",
            }
            started = time.perf_counter()
            try:
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                status = 0
            mine.append(time.perf_counter() - started)
            codes[status] += 1
        with lock:
            latencies.extend(mine)
            statuses.update(codes)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return sent, latencies, statuses, elapsed


def cpu_by_program() -> Counter:
    """CPU seconds used so far by each program on the machine, from /proc.

    Read before and after the load, so the report can say where the two
    cores went: the load generator, gunicorn, PostgreSQL, Redis.
    """
    tick = os.sysconf("SC_CLK_TCK")
    used: Counter = Counter()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # the process ended while we looked
        name = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        # utime and stime are fields 14 and 15 of proc(5), 12 and 13 here.
        used[name.split(":")[0]] += (int(fields[11]) + int(fields[12])) / tick
    return used


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voters", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=12)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/3"),
        help="cache and sessions, as production with REDIS_URL set "
        "(default: %(default)s; an empty value keeps sessions in the database)",
    )
    args = parser.parse_args()
    database = os.environ.get("DATABASE_URL", "")
    if not database.startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database.")
    env = {
        "DATABASE_URL": database,
        "DATABASE_CONN_MAX_AGE": "600",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
        "REDIS_URL": args.redis_url,
    }
    setup_django(env)
    run = secrets.token_hex(4)
    print(f"preparing {args.voters} residents (run {run})...", flush=True)
    ballot_id, options, sessions = prepare(args.voters, run)
    from django.db import connections

    connections.close_all()
    server = start_server(args.port, args.workers, env)
    try:
        cpu_before = cpu_by_program()
        sent, latencies, statuses, elapsed = run_load(
            args.port, ballot_id, options, sessions, args.concurrency, seed=run
        )
        cpu = cpu_by_program()
        cpu.subtract(cpu_before)
    finally:
        stop_server(server)

    from crowdsourcing.models import Ballot, BallotPaper, BallotParticipation
    from crowdsourcing.tally import tally_ballot

    ballot = Ballot.objects.get(pk=ballot_id)
    tally = tally_ballot(ballot)
    stored = {o.option_id: o.votes for o in tally.options if o.votes}
    accepted = statuses.get(302, 0)
    participations = BallotParticipation.objects.filter(ballot=ballot).count()
    papers = BallotPaper.objects.filter(ballot=ballot).count()
    print(f"requests: {len(latencies)}  statuses: {dict(statuses)}")
    print(
        f"votes/s: {accepted / elapsed:.1f}  ({accepted} votes in {elapsed:.2f} s, "
        f"{args.concurrency} client threads, {args.workers} gunicorn workers, "
        f"sessions: {'Redis' if args.redis_url else 'database'})"
    )
    print(
        "latency ms: p50 %.1f  p95 %.1f  p99 %.1f  mean %.1f"
        % (
            percentile(latencies, 0.50) * 1000,
            percentile(latencies, 0.95) * 1000,
            percentile(latencies, 0.99) * 1000,
            statistics.mean(latencies) * 1000,
        )
    )
    shares = ", ".join(
        f"{name} {seconds:.1f} s" for name, seconds in cpu.most_common(5) if seconds
    )
    print(f"CPU during the load ({2 * elapsed:.1f} core-seconds on 2 cores): {shares}")
    exact = (
        accepted == len(sessions)
        and participations == papers == accepted
        and stored == dict(sent)
    )
    print(
        f"stored: participations {participations}, papers {papers}, "
        f"per-option counts equal to sent: {stored == dict(sent)}"
    )
    print("EXACT: stored votes equal the votes sent" if exact else "MISMATCH")
    if not exact:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
