"""The report's words for a parent: every internal code of the access report in plain Dutch.

Each table has a plain fallback, so a word added later (a new category, action or reason)
still reads as Dutch rather than as a code.
"""

from __future__ import annotations

FIELDS = {
    "subject": "Gegevens van uw kind: naam, geboortedatum en burgerservicenummer",
    "summary": "Een korte beschrijving van de zorg",
    "details": "Een toelichting op die zorg",
    "contact": "Hoe u de medewerker die het signaal stuurde kunt bereiken",
}

LEGAL_BASES = {
    "consent": "Toestemming van u (of van uw kind)",
    "contract": "Een overeenkomst met u",
    "legal_obligation": "Een plicht uit de wet",
    "vital_interests": "Het beschermen van de gezondheid of veiligheid van uw kind",
    "public_task": "Een taak van de overheid, zoals jeugdhulp en zorg voor kinderen",
    "legitimate_interests": "Een gerechtvaardigd belang van de organisatie",
}
LEGAL_ARTICLES = {
    "consent": "a",
    "contract": "b",
    "legal_obligation": "c",
    "vital_interests": "d",
    "public_task": "e",
    "legitimate_interests": "f",
}

CATEGORIES = {
    "opvoeding": "Opvoeding en de situatie thuis",
    "veiligheid": "Veiligheid",
    "gezondheid": "Gezondheid",
    "school": "School",
}

URGENCIES = {
    "low": "Niet dringend",
    "normal": "Gewoon",
    "high": "Dringend",
    "acute": "Direct nodig",
}

STATES = {
    "live": "In gebruik",
    "erased": "Gewist",
    "expired": "De bewaartermijn is voorbij; het wordt binnenkort gewist",
}

INFORMING = {
    "informed": "U (of uw kind) bent ingelicht",
    "postponed": "Het inlichten is uitgesteld",
    "pending": "U bent nog niet ingelicht",
}
INFORMING_PARTIES = {"guardian": "ouder of voogd", "child": "het kind"}
INFORMING_METHODS = {
    "in_person": "in een gesprek",
    "phone": "telefonisch",
    "letter": "per brief",
    "digital": "digitaal",
}
POSTPONE_REASONS = {
    "safety_of_child": "voor de veiligheid van uw kind",
    "not_reachable": "omdat u niet bereikbaar was",
}

ACTIONS = {
    "signal.create": "Heeft het signaal gemaakt en verstuurd",
    "signal.share": "Heeft het signaal gedeeld",
    "signal.read": "Heeft het signaal bekeken",
    "signal.list": "Zag het signaal in een overzicht",
    "signal.update": "Heeft het signaal bijgewerkt",
    "signal.erase": "Heeft het signaal gewist",
    "signal.restrict": "Heeft het gebruik van het signaal beperkt",
    "signal.restriction_lift": "Heeft de beperking van het gebruik opgeheven",
    "signal.object": "Heeft een bezwaar tegen het signaal vastgelegd",
    "signal.objection_decide": "Heeft over het bezwaar beslist",
    "signal.informing": "Heeft vastgelegd of u bent ingelicht",
    "signal.correct": "Heeft het signaal verbeterd",
    "signal.informing_due": "Kreeg een herinnering dat u nog moet worden ingelicht",
}
ATTEMPTS = {
    "signal.create": "Probeerde het signaal te versturen",
    "signal.share": "Probeerde het signaal te delen",
    "signal.read": "Probeerde het signaal te bekijken",
    "signal.list": "Probeerde een overzicht te bekijken",
    "signal.update": "Probeerde het signaal bij te werken",
    "signal.erase": "Probeerde het signaal te wissen",
    "signal.restrict": "Probeerde het gebruik van het signaal te beperken",
    "signal.restriction_lift": "Probeerde de beperking op te heffen",
    "signal.object": "Probeerde een bezwaar vast te leggen",
    "signal.objection_decide": "Probeerde over het bezwaar te beslissen",
    "signal.informing": "Probeerde vast te leggen of u bent ingelicht",
    "signal.correct": "Probeerde het signaal te verbeteren",
}

REFUSALS = {
    "signal_not_found": "deze organisatie is niet betrokken bij het signaal",
    "signal_erased": "het signaal was al gewist",
    "access_ended": "de toegang was beëindigd",
    "purpose_mismatch": "het was gevraagd voor een ander doel",
    "consent_required": "er was geen toestemming",
    "consent_withdrawn": "de toestemming was ingetrokken",
    "consent_subject_mismatch": "de toestemming gold niet voor dit kind",
    "no_agreement": "er waren geen afspraken over delen met deze organisatie",
    "agreement_not_active": "de afspraken over delen golden nog niet",
    "agreement_suspended": "de afspraken over delen waren stopgezet",
    "agreement_terminated": "de afspraken over delen waren beëindigd",
    "agreement_not_yet_valid": "de afspraken over delen golden nog niet",
    "agreement_expired": "de afspraken over delen waren verlopen",
    "category_not_shared": "dit soort signaal mocht niet gedeeld worden",
    "partner_suspended": "de organisatie mocht tijdelijk niets delen",
    "not_the_sender": "alleen de afzender mag dat",
    "insufficient_scope": "de organisatie had daar geen recht op",
    "restricted": "het gebruik van het signaal was beperkt",
}

RESTRICTIONS = {
    "accuracy_contested": "zolang wordt nagegaan of het klopt",
    "unlawful_processing_claimed": "omdat is gezegd dat het niet gebruikt mocht worden",
    "needed_for_legal_claims": "omdat het moet blijven bewaard voor een juridische procedure",
    "objection_pending": "zolang over het bezwaar wordt beslist",
}

PERSON_ROLES = {"admin": "een beheerder", "auditor": "een auditor"}


def plain(word: str) -> str:
    """A slug as words: `jeugd-en-gezin` reads `Jeugd en gezin`."""
    text = word.replace("-", " ").replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def field(name: str) -> str:
    return FIELDS.get(name, plain(name))


def legal_basis(word: str) -> str:
    text = LEGAL_BASES.get(word, plain(word))
    article = LEGAL_ARTICLES.get(word)
    return f"{text} (AVG, artikel 6 lid 1 onder {article})" if article else text


def category(word: str) -> str:
    return CATEGORIES.get(word, plain(word))


def urgency(word: str) -> str:
    return URGENCIES.get(word, plain(word))


def state(word: str) -> str:
    return STATES.get(word, plain(word))


def restriction(word: str) -> str:
    return RESTRICTIONS.get(word, plain(word).lower())


def informing(word: str) -> str:
    return INFORMING.get(word, plain(word))


def informing_party(word: str) -> str:
    return INFORMING_PARTIES.get(word, plain(word).lower())


def informing_method(word: str) -> str:
    return INFORMING_METHODS.get(word, plain(word).lower())


def postpone_reason(word: str) -> str:
    return POSTPONE_REASONS.get(word, plain(word).lower())


def action(word: str, outcome: str) -> str:
    if outcome == "allow":
        return ACTIONS.get(word, "Deed iets met het signaal")
    return ATTEMPTS.get(word, "Probeerde iets met het signaal te doen")


def refusal(reason: str | None) -> str:
    """Why an access was refused, from the event's reason (one word or several, comma-joined)."""
    words = [w for w in (reason or "").split(",") if w]
    said = list(dict.fromkeys(REFUSALS.get(w, "het was niet toegestaan") for w in words))
    return "; ".join(said) or "het was niet toegestaan"


def person(role: str | None) -> str:
    return PERSON_ROLES.get(role or "", "een medewerker")
