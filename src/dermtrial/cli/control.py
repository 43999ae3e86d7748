"""``dermtrial study lock|unlock`` (two-person rule) and ``dermtrial cut create|verify`` (data cuts)."""

from __future__ import annotations

from pathlib import Path

import typer

from dermtrial.cli._common import EXIT_CHECK_FAILED, bad_usage, print_json, stdout
from dermtrial.cli._store import AS_OPTION, DB_OPTION, database, run, signed_in
from dermtrial.services.datacut import create_data_cut, verify_data_cut
from dermtrial.services.locks import (
    confirm_study_lock,
    confirm_study_unlock,
    request_study_lock,
    request_study_unlock,
    study_lock_state,
    withdraw_study_request,
)
from dermtrial.services.studies import only_study
from dermtrial.store import Database, utc_now

cut_app = typer.Typer(help="Data cuts: freeze the study data under a hash, and check it later.", no_args_is_help=True)

REASON_OPTION = typer.Option(None, "--reason", help="Why (needed to request or withdraw).")
CONFIRM_OPTION = typer.Option(False, "--confirm", help="Confirm another person's request (the second person).")
WITHDRAW_OPTION = typer.Option(False, "--withdraw", help="Withdraw the pending request.")


def _state(db: Database) -> str:
    with db.reading() as session:
        return study_lock_state(session, run(lambda: only_study(db)))


def _two_person(
    unlock: bool, reason: str | None, confirm: bool, withdraw: bool, db_url: str | None, as_user: str | None
) -> None:
    if confirm + withdraw + (reason is not None and not withdraw) != 1:
        bad_usage("give exactly one of --reason TEXT (request), --confirm, or --withdraw --reason TEXT")
    with database(db_url) as db:
        with signed_in(db, as_user) as actor:
            if confirm:
                confirm_ = confirm_study_unlock if unlock else confirm_study_lock
                run(lambda: confirm_(db, actor, now=utc_now()))
            elif withdraw:
                run(lambda: withdraw_study_request(db, actor, reason=reason or "", now=utc_now()))
            else:
                request = request_study_unlock if unlock else request_study_lock
                run(lambda: request(db, actor, reason=reason or "", now=utc_now()))
        state = _state(db)
    hint = " (another user holding lock.study confirms with --confirm)" if state.endswith("requested") else ""
    stdout.print(f"study: {state}{hint}", markup=False)


def study_lock(
    reason: str | None = REASON_OPTION,
    confirm: bool = CONFIRM_OPTION,
    withdraw: bool = WITHDRAW_OPTION,
    db_url: str | None = DB_OPTION,
    as_user: str | None = AS_OPTION,
) -> None:
    """Request the study lock with a reason; a second person confirms it with --confirm."""
    _two_person(False, reason, confirm, withdraw, db_url, as_user)


def study_unlock(
    reason: str | None = REASON_OPTION,
    confirm: bool = CONFIRM_OPTION,
    withdraw: bool = WITHDRAW_OPTION,
    db_url: str | None = DB_OPTION,
    as_user: str | None = AS_OPTION,
) -> None:
    """Request unlocking the study with a reason; a second person confirms it with --confirm."""
    _two_person(True, reason, confirm, withdraw, db_url, as_user)


@cut_app.command("create")
def cut_create(
    name: str = typer.Argument(..., help="Name of the cut (interim-1)."),
    reason: str = typer.Option(..., "--reason", help="Why the cut is made."),
    out: Path | None = typer.Option(None, "--out", help="Also write the snapshot as OUT/NAME.jsonl."),
    as_json: bool = typer.Option(False, "--json", help="Machine output (JSON) on stdout."),
    db_url: str | None = DB_OPTION,
    as_user: str | None = AS_OPTION,
) -> None:
    """Freeze the study data now: prints the cut's id, SHA-256, audit position and record count."""
    with database(db_url) as db, signed_in(db, as_user) as actor:
        cut = run(lambda: create_data_cut(db, actor, name=name, reason=reason, out_dir=out, now=utc_now()))
    summary = {
        "id": cut.id,
        "name": cut.name,
        "snapshot_sha256": cut.snapshot_sha256,
        "audit_seq": cut.audit_seq,
        "records": cut.records,
        "location": cut.location,
    }
    if as_json:
        print_json(summary)
        return
    stdout.print(f"data cut {cut.id} {cut.name}: {cut.records} records up to audit event {cut.audit_seq}", markup=False)
    stdout.print(f"sha256 {cut.snapshot_sha256}" + (f"  {cut.location}" if cut.location else ""), markup=False)


@cut_app.command("verify")
def cut_verify(
    cut_id: int = typer.Argument(..., help="The cut's id (as printed by dermtrial cut create)."),
    as_json: bool = typer.Option(False, "--json", help="Machine output (JSON) on stdout."),
    db_url: str | None = DB_OPTION,
) -> None:
    """Re-compute a cut from the live data; exit 1 naming the changes when it no longer matches."""
    with database(db_url) as db:
        check = run(lambda: verify_data_cut(db, None, cut_id=cut_id))
    if as_json:
        print_json(
            {
                "cut_id": check.cut_id,
                "ok": check.ok,
                "stored_sha256": check.stored_sha256,
                "recomputed_sha256": check.recomputed_sha256,
                "records": check.records,
                "changed_since": check.changed_since,
            }
        )
    elif check.ok:
        stdout.print(f"data cut {cut_id} verified: {check.records} records, sha256 {check.stored_sha256}", markup=False)
    else:
        stdout.print(
            f"data cut {cut_id} CHANGED: stored {check.stored_sha256}, now {check.recomputed_sha256}", markup=False
        )
        for line in check.changed_since:
            stdout.print(f"  {line}", markup=False)
    if not check.ok:
        raise typer.Exit(EXIT_CHECK_FAILED)
