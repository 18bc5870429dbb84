"""The agreement form and its views, as pure functions: a document survives the round trip
through the form unchanged, engine problems land on the field they name, and the diff of two
versions lists exactly the shares that changed."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.datastructures import FormData

from console import agreement_forms as forms
from policies.vocabulary import LEGAL_BASES, SIGNAL_FIELDS
from tests.factories import example_agreement

slug = st.from_regex(r"[a-z][a-z0-9-]{1,20}", fullmatch=True)
rule = st.fixed_dictionaries(
    {
        "sender": slug,
        "recipient": slug,
        "purposes": st.lists(slug, min_size=1, max_size=3, unique=True),
        "categories": st.lists(slug, min_size=1, max_size=3, unique=True),
        "fields": st.lists(st.sampled_from(SIGNAL_FIELDS), min_size=1, unique=True).map(
            lambda chosen: [name for name in SIGNAL_FIELDS if name in chosen]
        ),
        "legalBasis": st.sampled_from(LEGAL_BASES),
        "requiresConsent": st.booleans(),
        "retentionDays": st.integers(min_value=1, max_value=730),
    }
)


def submitted(values: dict[str, Any]) -> FormData:
    """The form as a browser sends it: every field, checkboxes only when ticked."""
    items: list[tuple[str, str]] = [
        (name, values[name])
        for name in ("title", "validFrom", "validUntil", "status", "parties", "purposes")
    ]
    items.append(("rules", str(len(values["rules"]))))
    for row, rule_values in enumerate(values["rules"]):
        for name in forms.RULE_FIELDS:
            if name == "fields":
                items += [(f"rules-{row}-fields", value) for value in rule_values["fields"]]
            elif name == "requiresConsent":
                if rule_values[name] == "on":
                    items.append((f"rules-{row}-requiresConsent", "on"))
            else:
                items.append((f"rules-{row}-{name}", rule_values[name]))
    return FormData(items)


@settings(max_examples=60, deadline=None)
@given(rules=st.lists(rule, max_size=5), title=st.text(min_size=1, max_size=40).map(str.strip))
def test_a_document_survives_the_form(rules: list[dict[str, Any]], title: str) -> None:
    document = example_agreement(rules=rules, title=title or "x")
    parsed = forms.read_form(submitted(forms.form_values(document)), document["id"])
    body = forms.check_body(parsed)
    assert body is not None and parsed.errors == {}
    assert body.document(document["id"]) == document


def test_problems_land_on_the_row_they_name_when_empty_rows_are_skipped() -> None:
    document = example_agreement()
    values = forms.form_values(document)
    values["rules"].insert(0, forms.blank_rule())  # an empty first row is skipped
    parsed = forms.read_form(submitted(values), document["id"])
    forms.add_engine_problems(
        parsed,
        [
            {"name": "rules[1].retentionDays", "reason": "must be between 1 and 730 days"},
            {"name": "parties[2]", "reason": "'x-y' is not a registered partner"},
            {"name": "rules[0]", "reason": "duplicates rules[1]: same sender"},
        ],
    )
    assert parsed.errors == {
        "rules-2-retentionDays": "Regel 3, bewaartermijn: moet tussen 1 en 730 dagen liggen",
        "parties": "Partijen: 'x-y' is geen geregistreerde partner",
        "rules-1-sender": "Regel 2, afzender: herhaalt een eerdere regel (zelfde afzender, "
        "ontvanger, doelen en categorieën)",
    }


@settings(max_examples=60, deadline=None)
@given(old=st.lists(rule, max_size=4), new=st.lists(rule, max_size=4))
def test_the_diff_lists_exactly_the_changed_shares(
    old: list[dict[str, Any]], new: list[dict[str, Any]]
) -> None:
    before, after = example_agreement(rules=old), example_agreement(rules=new)
    diff = forms.diff(before, after)
    cells_before = {cell.key: cell.terms for cell in forms.matrix(before)}
    cells_after = {cell.key: cell.terms for cell in forms.matrix(after)}
    assert {cell.key for cell in diff.added} == cells_after.keys() - cells_before.keys()
    assert {cell.key for cell in diff.removed} == cells_before.keys() - cells_after.keys()
    assert {a.key for a, _ in diff.changed} == {
        key for key in cells_before.keys() & cells_after.keys()
        if cells_before[key] != cells_after[key]
    }  # fmt: skip
    assert forms.diff(before, before).empty
