"""Lighthouse (mobile) scores of the capture pages: `.venv/bin/python bench/lighthouse.py URL`.

URL is a running app (e.g. `make run`, or `flask run --port 5055` after `flask demo load`).
Without further arguments it measures the public capture pages, which need no login: "Ik wil
helpen" (the choice of municipality and each municipality's form) and a referral card opened
through a one-time link — a fresh link and a handed-out card are made in the app's database
(run it from the checkout, with the server's environment: SQLite in instance/ by default).
Paths after URL measure those pages instead; with --login EMAIL (and --password, default the
demo's) they are opened logged in, with --neighbour-code CODE as that caring neighbour: the
session cookie is sent along with every request.

Lighthouse 12 runs from npm (`npx --yes lighthouse@12`, or the binary in $LIGHTHOUSE) with
$CHROME_PATH (default /usr/bin/chromium) headless; mobile is Lighthouse's default form factor
(Moto G Power screen, slow 4G and a 4x slower CPU, simulated). Categories: performance,
accessibility and best practices. Prints the scores and what each page loses points on.
Figures only, no assertions; not part of `make test`.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

CATEGORIES = ("performance", "accessibility", "best-practices")
TARGETS = {"performance": 95, "accessibility": 95, "best-practices": 100}
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu"


def public_pages() -> list[str]:
    """Ik wil helpen (the choice and every municipality's form) and a one-time link's card."""
    from sqlalchemy import select

    from fieldwork import create_app
    from fieldwork.areas.services import list_municipalities
    from fieldwork.extensions import db
    from fieldwork.referrals.models import ReferralCard
    from fieldwork.referrals.services import create_link

    app = create_app()
    with app.app_context():
        pages = ["/ik-wil-helpen"]
        pages += [f"/ik-wil-helpen/{m.code}" for m in list_municipalities()]
        card = db.session.scalars(
            select(ReferralCard)
            .where(ReferralCard.state == "handed_out")
            .order_by(ReferralCard.id.desc())
        ).first()
        if card is None:
            print("no handed-out referral card (run `flask demo load`): no link page measured")
        else:
            _, token = create_link(
                card.series.municipality, "Lighthouse", "measurement", None, 1, None
            )
            db.session.commit()
            pages.append(f"/r/{token}/k/{card.code}")
    return pages


def session_cookie(base: str, path: str, fields: dict[str, str]) -> str:
    """Sign in as a browser does (the form at ``path`` with ``fields``); the Cookie header
    the app's session needs."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login_url = f"{base}{path}"
    with opener.open(login_url) as page:
        html = page.read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    if token is None:
        sys.exit(f"{path} has no CSRF token")
    data = urllib.parse.urlencode({"csrf_token": token.group(1), **fields}).encode()
    with opener.open(login_url, data) as answer:
        if answer.url.rstrip("/").endswith(path):
            sys.exit(f"could not sign in at {path}")
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def lighthouse_command() -> list[str]:
    if os.environ.get("LIGHTHOUSE"):
        return [os.environ["LIGHTHOUSE"]]
    if shutil.which("npx") is None:
        sys.exit("npx is missing: install Node.js and npm, or set LIGHTHOUSE to the binary")
    return ["npx", "--yes", "lighthouse@12"]


def run_lighthouse(url: str, out: Path, cookie: str | None) -> dict[str, Any]:
    command = [
        *lighthouse_command(),
        url,
        f"--only-categories={','.join(CATEGORIES)}",
        "--output=json",
        f"--output-path={out}",
        f"--chrome-flags={CHROME_FLAGS}",
        "--quiet",
    ]
    if cookie:
        command.append(f"--extra-headers={json.dumps({'Cookie': cookie})}")
    env = {**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")}
    subprocess.run(command, check=True, env=env)  # noqa: S603 - our own fixed command
    report: dict[str, Any] = json.loads(out.read_text())
    return report


def losses(report: dict[str, Any]) -> list[str]:
    """The audits that cost points, per category (weight > 0 and not a full score)."""
    lines = []
    audits = report["audits"]
    for name in CATEGORIES:
        for ref in report["categories"][name]["auditRefs"]:
            audit = audits[ref["id"]]
            if ref["weight"] > 0 and audit["score"] is not None and audit["score"] < 1:
                shown = audit.get("displayValue", "")
                lines.append(f"    {name}: {audit['id']} ({audit['score']:.2f}) {shown}".rstrip())
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="the running app, e.g. http://127.0.0.1:5055")
    parser.add_argument("paths", nargs="*", help="pages to measure (default: public captures)")
    parser.add_argument("--login", metavar="EMAIL", help="open the pages logged in as EMAIL")
    parser.add_argument("--password", default="zorgzaam-2026", help="default: the demo's")
    parser.add_argument(
        "--neighbour-code", metavar="CODE", help="open the pages as the caring neighbour of CODE"
    )
    parser.add_argument("--keep", metavar="DIR", help="keep the JSON reports in DIR")
    args = parser.parse_args()
    base = args.url.rstrip("/")
    paths = args.paths or public_pages()
    cookie = None
    if args.login:
        cookie = session_cookie(base, "/login", {"email": args.login, "password": args.password})
    elif args.neighbour_code:
        cookie = session_cookie(base, "/zorgzame-buur/aanmelden", {"code": args.neighbour_code})
    results = []
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(args.keep or scratch)
        folder.mkdir(parents=True, exist_ok=True)
        for number, path in enumerate(paths, 1):
            report = run_lighthouse(f"{base}{path}", folder / f"page-{number}.json", cookie)
            scores = {
                name: round(100 * (report["categories"][name]["score"] or 0)) for name in CATEGORIES
            }
            results.append((path, scores, losses(report)))
    print(f"\nLighthouse {report['lighthouseVersion']}, mobile, {base}")
    print(f"{'page':<60} {'perf':>5} {'a11y':>5} {'best':>5}")
    for path, scores, lost in results:
        shown = path if len(path) <= 60 else path[:28] + "…" + path[-31:]
        row = " ".join(f"{scores[name]:>5}" for name in CATEGORIES)
        below = [name for name in CATEGORIES if scores[name] < TARGETS[name]]
        print(f"{shown:<60} {row}" + (f"   below target: {', '.join(below)}" if below else ""))
        for line in lost:
            print(line)


if __name__ == "__main__":
    main()
