"""The report speaks to a parent: every action done to a signal has its words, refusals read
as Dutch, and nothing falls back to a code."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.app import create_app
from rights import words
from wijkdeel.runtime import Runtime

# Events about a signal that no route declares: written beside a route's own event, or a
# route's event renamed by what it did (a PATCH that corrects is `signal.correct`).
WRITTEN_BESIDE = {"signal.share", "signal.informing", "signal.correct"}


def test_every_action_on_a_signal_has_words(runtime: Runtime) -> None:
    with TestClient(create_app(runtime)) as client:
        document = client.get("/v1/openapi.json").json()
    declared = {
        operation["x-audit-action"]
        for item in document["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict) and operation.get("x-audit-resource") == "signal"
    }
    assert "signal.read" in declared
    for action in declared | WRITTEN_BESIDE:
        assert action in words.ACTIONS and action in words.ATTEMPTS, action


def test_refusals_read_as_dutch() -> None:
    assert words.refusal("consent_withdrawn") == "de toestemming was ingetrokken"
    assert words.refusal("agreement_suspended,consent_withdrawn") == (
        "de afspraken over delen waren stopgezet; de toestemming was ingetrokken"
    )
    assert words.refusal("agreement_not_active,agreement_not_yet_valid") == (
        "de afspraken over delen golden nog niet"
    )
    assert words.refusal(None) == words.refusal("something_new") == "het was niet toegestaan"


def test_codes_without_words_still_read_as_words() -> None:
    assert words.category("jeugd-en-gezin") == "Jeugd en gezin"
    assert words.legal_basis("public_task").endswith("(AVG, artikel 6 lid 1 onder e)")
    assert words.legal_basis("something_else") == "Something else"
    assert words.action("signal.unknown", "allow") == "Deed iets met het signaal"
    assert words.action("signal.read", "deny") == "Probeerde het signaal te bekijken"
