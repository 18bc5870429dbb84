"""Hypothesis strategies for small neighbourhoods: a few partners, purposes and categories."""

from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from policies import Agreement, Consent, Party, Rule, ShareRequest
from policies.vocabulary import LEGAL_BASES, SIGNAL_FIELDS

PARTNERS = {
    "kw-a": "kinderwerk",
    "kw-b": "kinderwerk",
    "school-a": "school",
    "school-b": "school",
    "wt-a": "wijkteam",
}
OUTSIDER = Party("opvang-z", "kinderopvang")
"""A registered partner that no generated agreement names."""
PURPOSES = ("signalering", "afstemming", "zorg")
CATEGORIES = ("opvoeding", "school", "veiligheid")
AGREEMENT_IDS = ("ag-a", "ag-b", "ag-c", "ag-d", "ag-e")

# Windows start in the first two months of 2026 and moments fall around them, so that most
# generated agreements and consents are in force at the moment of a decision but not all.
FIRST_DAY = date(2026, 1, 1)
LAST_DAY = date(2026, 3, 1)
MIDDLE = datetime(2026, 3, 1, 12, tzinfo=UTC)


# Strategies are cached per set of options: building and validating a fresh strategy on every
# draw is what makes generation slow, not drawing from it.
@cache
def subset(options: tuple[str, ...]) -> st.SearchStrategy[tuple[str, ...]]:
    """A non-empty selection from `options`, in their order."""
    # One integer as a bit mask: far fewer choices for hypothesis to make than a set of elements.
    return st.integers(1, 2 ** len(options) - 1).map(
        lambda mask: tuple(option for bit, option in enumerate(options) if mask >> bit & 1)
    )


@cache
def one_of(options: tuple[str, ...]) -> st.SearchStrategy[str]:
    return st.sampled_from(options)


days = st.dates(min_value=FIRST_DAY, max_value=LAST_DAY)
# An offset from a fixed moment rather than st.datetimes: hypothesis favours the ends of a range,
# and the start of one would fall before every window.
moments = st.builds(
    lambda minutes, zone: (MIDDLE + timedelta(minutes=minutes)).astimezone(zone),
    st.integers(-70 * 24 * 60, 60 * 24 * 60),
    st.sampled_from([UTC, ZoneInfo("Europe/Amsterdam")]),
)


WINDOW_LENGTHS = st.none() | st.integers(0, 400)


@st.composite
def windows(draw: st.DrawFn) -> tuple[date, date | None]:
    start = draw(days)
    length = draw(WINDOW_LENGTHS)
    end = None if length is None else start + timedelta(days=length)
    return start, end


@st.composite
def rules(draw: st.DrawFn, parties: tuple[str, ...], purposes: tuple[str, ...]) -> Rule:
    kinds = sorted({f"kind:{PARTNERS[party]}" for party in parties})
    ends = one_of((*parties, *kinds))
    legal_basis = draw(one_of(LEGAL_BASES))
    return Rule(
        sender=draw(ends),
        recipient=draw(ends),
        purposes=draw(subset(purposes)),
        categories=draw(subset(CATEGORIES)),
        fields=draw(subset(SIGNAL_FIELDS)),
        legal_basis=legal_basis,
        requires_consent=legal_basis == "consent" or draw(st.booleans()),
        retention_days=draw(st.integers(1, 730)),
        requires_professional=draw(st.booleans()),
    )


PARTY_LISTS = st.lists(st.sampled_from(sorted(PARTNERS)), min_size=2, max_size=5, unique=True).map(
    tuple
)
# Mostly active, so that many decisions allow and the properties have something to bite.
STATUSES = st.sampled_from(("active",) * 5 + ("draft", "suspended", "terminated"))


@st.composite
def agreements(draw: st.DrawFn, agreement_id: str) -> Agreement:
    parties = draw(PARTY_LISTS)
    purposes = draw(subset(PURPOSES))
    valid_from, valid_until = draw(windows())
    return Agreement(
        id=agreement_id,
        version=draw(st.integers(1, 3)),
        title="Convenant",
        parties=parties,
        valid_from=valid_from,
        valid_until=valid_until,
        status=draw(STATUSES),
        purposes={purpose: f"Doel {purpose}" for purpose in purposes},
        rules=tuple(draw(st.lists(rules(parties, purposes), min_size=1, max_size=4))),
    )


AGREEMENT_ID_LISTS = [
    st.lists(st.sampled_from(AGREEMENT_IDS), min_size=min_size, max_size=4, unique=True)
    for min_size in (0, 1)
]


@st.composite
def agreement_sets(draw: st.DrawFn, min_size: int = 0) -> list[Agreement]:
    ids = draw(AGREEMENT_ID_LISTS[min_size])
    return [draw(agreements(agreement_id)) for agreement_id in ids]


Aim = tuple[str, str, tuple[str, ...], tuple[str, ...]]
"""A share that some rule requiring consent allows: sender, recipient, purposes, categories."""


def aims(agreements_: list[Agreement]) -> list[Aim]:
    """Every concrete share that a rule requiring consent could allow."""
    return [
        (sender, recipient, rule.purposes, rule.categories)
        for agreement in agreements_
        for rule in agreement.rules
        if rule.requires_consent
        for sender in agreement.parties
        if _names(rule.sender, sender)
        for recipient in agreement.parties
        if recipient != sender and _names(rule.recipient, recipient)
    ]


def _names(end: str, party: str) -> bool:
    return end in (party, f"kind:{PARTNERS[party]}")


@cache
def index_below(size: int) -> st.SearchStrategy[int]:
    return st.integers(0, size - 1)


RECORDERS = st.sampled_from(sorted(PARTNERS))
RECIPIENTS = subset((*sorted(PARTNERS), OUTSIDER.id))
NO_CATEGORIES_OR_SOME = st.none() | subset(CATEGORIES)
MAYBE_WITHDRAWN = st.none() | moments
# Keyed tags of a birth date: a consent about a subject with another birth date does not count.
SUBJECT_TAGS = ("t-2017-03-02", "t-2016-01-09")


@st.composite
def consents(draw: st.DrawFn, consent_id: str, aimed_at: tuple[Aim, ...] = ()) -> Consent:
    """A consent, often one for a share some rule allows: random ones rarely cover anything."""
    valid_from, valid_until = draw(windows())
    if len(aimed_at) > 0 and draw(st.booleans()):
        sender, recipient, purposes, categories = aimed_at[draw(index_below(len(aimed_at)))]
        recipients = tuple(sorted({recipient, *draw(RECIPIENTS)}))
        chosen_categories = draw(st.none() | st.just(categories))
    else:
        sender, purposes = draw(RECORDERS), draw(subset(PURPOSES))
        recipients, chosen_categories = draw(RECIPIENTS), draw(NO_CATEGORIES_OR_SOME)
    return Consent(
        id=consent_id,
        recorded_by=sender,
        purposes=purposes,
        recipients=recipients,
        categories=chosen_categories,
        valid_from=valid_from,
        valid_until=valid_until,
        withdrawn_at=draw(MAYBE_WITHDRAWN),
        subject_tag=draw(st.sampled_from((None, *SUBJECT_TAGS))),
    )


CONSENT_ID_LISTS = [
    st.lists(st.sampled_from(("c-1", "c-2", "c-3", "c-4")), min_size=min_size, unique=True)
    for min_size in (0, 1)
]


@st.composite
def consent_lists(
    draw: st.DrawFn, min_size: int = 0, aimed_at: tuple[Aim, ...] = ()
) -> list[Consent]:
    return [draw(consents(consent_id, aimed_at)) for consent_id in draw(CONSENT_ID_LISTS[min_size])]


@st.composite
def neighbourhoods(
    draw: st.DrawFn, min_agreements: int = 0, min_consents: int = 0
) -> tuple[list[Agreement], list[Consent]]:
    """Agreements and the consents of one child, many of them for shares the agreements allow."""
    agreements_ = draw(agreement_sets(min_agreements))
    return agreements_, draw(consent_lists(min_consents, tuple(aims(agreements_))))


PARTIES = (*(Party(id, kind) for id, kind in sorted(PARTNERS.items())), OUTSIDER)


def every_request() -> list[ShareRequest]:
    """Every share between active partners of the small neighbourhood, itself included, about
    a subject whose birth date is unrecorded or the first of the two tags consents may carry,
    sent without a professional or decided at reading (where none is asked for)."""
    return [
        ShareRequest(sender, recipient, purpose, category, tag, professional)
        for sender in PARTIES
        for recipient in PARTIES
        for purpose in PURPOSES
        for category in CATEGORIES
        for tag in (None, SUBJECT_TAGS[0])
        for professional in (None, False)
    ]


requests = st.builds(
    ShareRequest,
    sender=st.sampled_from(PARTIES),
    recipient=st.sampled_from(PARTIES),
    purpose=st.sampled_from(PURPOSES),
    category=st.sampled_from(CATEGORIES),
    subject_tag=st.sampled_from((None, *SUBJECT_TAGS)),
    professional=st.sampled_from((None, True, False)),
)
