"""`wijkdeel agreements`: keep convenanten in version control as JSON or YAML files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from pydantic import ValidationError

from api.schemas.agreements import AgreementBody
from audit.events import record
from core.errors import DomainError
from notifications import events
from records import acceptances, agreements
from records.models import AgreementRecord
from wijkdeel.cli.common import command_group, fail, open_runtime, operator_event

agreements_app = command_group("Import and export sharing agreements.")


def _read(path: Path) -> dict[str, Any]:
    if path.suffix.lower() not in {".json", ".yaml", ".yml"}:
        raise fail("the file must end in .json, .yaml or .yml")
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (OSError, UnicodeDecodeError) as error:
        raise fail(f"cannot read {path}: {type(error).__name__}") from None
    except (json.JSONDecodeError, yaml.YAMLError):
        raise fail(f"{path} is not valid {path.suffix.lstrip('.').upper()}") from None
    if not isinstance(data, dict):
        raise fail(f"{path} must hold one agreement object")
    return data


def read_agreement(path: Path) -> dict[str, Any]:
    """An agreement file, checked as the API checks a body; its document form."""
    try:
        body = AgreementBody.model_validate(_read(path))
    except ValidationError as error:
        lines = [f"  {'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()]
        raise fail("the agreement is invalid:\n" + "\n".join(lines)) from None
    if body.id is None:
        raise fail("the agreement needs an id")
    return body.document(body.id)


@agreements_app.command("import")
def import_agreement(
    file: Annotated[Path, typer.Argument(help="an agreement as JSON or YAML, in the API's form")],
) -> None:
    """Create the agreement, or write its next version when the file differs from the current."""
    document = read_agreement(file)
    agreement_id = str(document["id"])
    with open_runtime() as runtime, runtime.db.session() as session:
        now = runtime.now()
        try:
            if session.get(AgreementRecord, agreement_id) is None:
                row = agreements.create(session, document, author="operator", now=now)
                action = "agreement.create"
            else:
                current = agreements.get_version(session, agreement_id)
                if current.document == document:
                    typer.echo(f"{agreement_id} is unchanged at version {current.version}")
                    return
                row = agreements.update(session, agreement_id, document, author="operator", now=now)
                action = "agreement.update"
        except DomainError as error:
            details = [f"  {p['name']}: {p['reason']}" for p in error.invalid_params]
            raise fail("\n".join([error.detail, *details])) from None
        events.agreement_status(session, row, now=now, max_attempts=runtime.max_attempts)
        event = operator_event(runtime, action, "agreement", row.agreement_id)
        event.agreement_id, event.agreement_version = row.agreement_id, row.version
        record(session, event, "allow")
        typer.echo(f"{row.agreement_id} is now at version {row.version} ({row.status})")
        if row.status == "proposed":
            typer.echo(
                "every party must accept it (POST /v1/agreements/"
                f"{row.agreement_id}/versions/{row.version}/acceptance) before it is active"
            )


@agreements_app.command("export")
def export_agreement(
    agreement_id: Annotated[str, typer.Argument(metavar="ID", help="the agreement's id")],
    version: Annotated[
        int | None, typer.Option(help="a version (default: the current one)")
    ] = None,
    output: Annotated[str, typer.Option("--format", help="yaml or json")] = "yaml",
) -> None:
    """Print an agreement in the form `import` reads."""
    if output not in {"yaml", "json"}:
        raise fail("--format must be yaml or json")
    with open_runtime() as runtime, runtime.db.session() as session:
        try:
            row = agreements.get_version(session, agreement_id, version)
        except DomainError as error:
            raise fail(error.detail) from None
        document = row.document
    if output == "json":
        typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        typer.echo(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), nl=False)


@agreements_app.command("verify-acceptances")
def verify_acceptances(
    as_json: Annotated[bool, typer.Option("--json", help="print the result as JSON")] = False,
) -> None:
    """Check every stored acceptance offline: each signature against the signer's registered
    public key and the content hash recomputed from the stored version. Exit 1 on any finding."""
    with open_runtime() as runtime, runtime.db.reading() as session:
        result = acceptances.verify_all(session)
    findings = [
        {
            "agreement": finding.agreement_id,
            "version": finding.version,
            "partner": finding.partner,
            "acceptance": finding.acceptance_id,
            "problem": finding.problem,
        }
        for finding in result.findings
    ]
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "valid": not findings,
                    "checked": result.checked,
                    "byMethod": result.by_method,
                    "findings": findings,
                }
            )
        )
    else:
        methods = ", ".join(f"{n} {method}" for method, n in sorted(result.by_method.items()))
        typer.echo(f"checked {result.checked} acceptances ({methods or 'none'})")
        for found in findings:
            where = f"{found['agreement']} version {found['version']}"
            who = (
                f" {found['partner']} (acceptance {found['acceptance']})"
                if found["partner"]
                else ""
            )
            typer.echo(f"{str(found['problem']).upper()}: {where}{who}")
        typer.echo("all acceptances hold" if not findings else f"{len(findings)} problem(s)")
    if findings:
        raise typer.Exit(1)
