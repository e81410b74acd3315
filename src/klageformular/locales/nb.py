"""Norsk bokmål."""

from __future__ import annotations


def _party(prefix: str, who: str) -> dict[str, str]:
    return {
        f"{prefix}.last_name": "Etternavn eller foretakets navn",
        f"{prefix}.last_name.tip": f"{who}s etternavn – eller hele navnet hvis det er et foretak.",
        f"{prefix}.first_name": "Fornavn",
        f"{prefix}.first_name.tip": f"{who}s fornavn og eventuelle mellomnavn.",
        f"{prefix}.registration_number": "{registry} (kun foretak)",
        f"{prefix}.registration_number.tip": "Foretakets registreringsnummer. Ikke oppgi {national_id}.",
        f"{prefix}.lei": "LEI-kode (hvis foretaket har en)",
        f"{prefix}.lei.tip": "Legal Entity Identifier: 20 tegn.",
        **_contact(prefix, who),
    }


def _contact(prefix: str, who: str) -> dict[str, str]:
    return {
        f"{prefix}.street": "Adresse (gate, nr., etasje)",
        f"{prefix}.street.tip": f"{who}s adresse – for foretak forretningsadressen.",
        f"{prefix}.postcode": "Postnr.",
        f"{prefix}.postcode.tip": "Postnummer.",
        f"{prefix}.city": "Poststed",
        f"{prefix}.city.tip": "Poststed.",
        f"{prefix}.country": "Land",
        f"{prefix}.country.tip": "Land, f.eks. {home_country}.",
        f"{prefix}.phone": "Telefon",
        f"{prefix}.phone.tip": "Telefonnummer – med landskode hvis nummeret ikke er fra {home_country}.",
        f"{prefix}.email": "E-post",
        f"{prefix}.email.tip": "E-postadresse vi kan svare til.",
    }


STRINGS: dict[str, str] = {
    "language_name": "Norsk (bokmål)",
    "title": "Klageskjema",
    "subtitle": "Klage til {org_name} – EUs standardmal for klager på folkefinansieringstjenester",
    "page": "side",
    "intro": "Fyll ut skjemaet på skjermen eller for hånd, og send det til vår klageansvarlige, {officer_name}, "
    "på {officer_email}. Skriv «{subject_marker}» i emnefeltet. Det er gratis å klage, og du får en bekreftelse "
    "senest {ack_days} virkedager etter at vi har mottatt klagen. Felt merket med * må fylles ut. "
    "Ikke oppgi {national_id} – vi trenger det ikke.",
    "section.1": "1. Klager",
    "section.1b": "1.b Kontaktopplysninger – bare hvis de er andre enn ovenfor",
    "section.2": "2. Fullmektig – hvis noen andre klager på dine vegne",
    "section.2.note": "Legg ved fullmakt eller annen dokumentasjon på at fullmektigen kan handle på dine vegne.",
    "section.2b": "2.b Fullmektigens kontaktopplysninger – bare hvis de er andre enn ovenfor",
    "section.3": "3. Klagen",
    "section.4": "4. Dokumentasjon",
    "section.5": "5. Underskrift",
    "signature": "Underskrift",
    "complainant.role": "Jeg er",
    "complainant.role.tip": "Velg om du klager som investor, låntaker eller annet.",
    "complainant.role.investor": "investor",
    "complainant.role.borrower": "låntaker",
    "complainant.role.other": "annet",
    "complainant.client_reference": "Kundenummer hos {org_name}",
    "complainant.client_reference.tip": "Kunde- eller brukernummeret ditt, hvis du vet det.",
    **_party("complainant", "Klageren"),
    **_contact("complainant_contact", "Klageren"),
    **_party("representative", "Fullmektigen"),
    **_contact("representative_contact", "Fullmektigen"),
    "investment.reference": "3.a Investerings- eller lånenummer",
    "investment.reference.tip": "Nummeret på investeringen, lånet eller avtalen klagen gjelder.",
    "investment.project": "Prosjekt eller prosjekteier",
    "investment.project.tip": "Navnet på prosjektet eller foretaket som har lånt pengene.",
    "investment.transactions": "Andre referanser (f.eks. transaksjoner)",
    "investment.transactions.tip": "Referanser til betalinger eller transaksjoner klagen gjelder.",
    "subject": "3.b Hva klager du på? *",
    "subject.tip": "Beskriv klagen så presist du kan: Hva skjedde, og hva ønsker du at vi skal gjøre? "
    "Legg gjerne ved dokumentasjon. Ikke oppgi {national_id}.",
    "facts_date": "3.c Dato for forholdet",
    "facts_date.tip": "Når skjedde det du klager på? Skriv datoen som {date_format}.",
    "facts_date_end": "Ev. til og med dato",
    "facts_date_end.tip": "Hvis det gjaldt en periode: periodens siste dag ({date_format}).",
    "damage.amount": "3.d Beløp (ev.)",
    "damage.amount.tip": "Størrelsen på tapet, hvis du kan anslå det, f.eks. 12 500,00.",
    "damage.currency": "Valuta",
    "damage.currency.tip": "Valutakode på tre bokstaver, f.eks. {currency} eller EUR.",
    "damage.description": "3.d Skade, tap eller ulempe",
    "damage.description.tip": "Hvilket tap eller hvilken ulempe har forholdet påført deg?",
    "other_comments": "3.e Andre merknader",
    "other_comments.tip": "Annet vi bør vite for å behandle klagen.",
    "documentation.power_of_attorney": "Fullmakt eller annen dokumentasjon på at noen representerer deg",
    "documentation.power_of_attorney.tip": "Kryss av hvis du legger ved en fullmakt.",
    "documentation.contractual_documents": "Kopi av avtaledokumentene for investeringen eller lånet",
    "documentation.contractual_documents.tip": "Kryss av hvis du legger ved avtaledokumentene.",
    "documentation.other_documents": "Andre vedlegg – skriv hvilke nedenfor",
    "documentation.other_documents.tip": "Kryss av hvis du legger ved andre vedlegg.",
    "documentation.other_documents_list": "Vedlagte dokumenter",
    "documentation.other_documents_list.tip": "Liste over de andre vedleggene du sender med.",
    "reply_channel": "Jeg ønsker svar",
    "reply_channel.tip": "Velg om du vil ha svar på e-post eller per post.",
    "reply_channel.electronic": "på e-post",
    "reply_channel.paper": "per post",
    "signature.place": "Sted",
    "signature.place.tip": "Stedet der skjemaet er fylt ut.",
    "signature.date": "Dato",
    "signature.date.tip": "Datoen for underskriften ({date_format}).",
    "signature.signatory": "Undertegnet av",
    "signature.signatory.tip": "Velg om klageren selv eller fullmektigen skriver under.",
    "signature.signatory.complainant": "klageren",
    "signature.signatory.representative": "fullmektigen",
    # The information page.
    "info.title": "Slik behandler vi klagen din",
    "info.free.h": "Det er gratis å klage",
    "info.free": "{org_name} behandler alle klager etter en fast rutine og uten kostnad for deg.",
    "info.how.h": "Slik sender du klagen",
    "info.how": "Send det utfylte skjemaet som vedlegg til vår klageansvarlige, {officer_name}, på {officer_email}, "
    "og skriv «{subject_marker}» i emnefeltet. Du kan også skrive en vanlig e-post med de samme "
    "opplysningene. Legg ved dokumentasjon som underbygger klagen. Du kan skrive på "
    "{languages}.{helpdesk_note}",
    "info.ack.h": "Bekreftelse innen {ack_days} virkedager",
    "info.ack": "Senest {ack_days} virkedager etter at vi har mottatt klagen, får du en skriftlig bekreftelse. "
    "Den forteller om vi kan behandle klagen, hvem som er kontaktpersonen din – med e-postadresse og "
    "telefonnummer – og når du kan vente en avgjørelse. Kan vi ikke behandle klagen, får du en tydelig begrunnelse.",
    "info.ack.timeframe": "Vanligvis tar vi en avgjørelse innen {decision_days} virkedager.",
    "info.process.h": "Behandlingen",
    "info.process": "Den klageansvarlige vurderer om vi trenger flere opplysninger eller dokumenter fra deg, om vi "
    "bør innhente ekstern rådgivning, om vi har fått andre klager på det samme forholdet, og om klagen bør føre "
    "til endrede rutiner, ny praksis eller opplæring av ansatte. Mangler vi opplysninger, spør vi deg.",
    "info.decision.h": "Avgjørelsen",
    "info.decision": "Vi svarer på alle punktene i klagen, på språket du klaget på, og på e-post eller per post, "
    "slik du ønsker. Får du ikke medhold, får du et skriftlig og begrunnet svar som også forteller hvor du kan "
    "klage videre. Kan vi ikke svare innen fristen vi har gitt, får du vite hvorfor og når du kan vente svar. "
    "Vi registrerer alle klager og tiltakene de fører til, og rapporterer klager til myndighetene slik "
    "regelverket krever.",
    "info.escalation.h": "Hvis du ikke er fornøyd",
    "info.escalation": "Blir klagen ikke behandlet, eller får du ikke medhold, kan du gå videre:",
    "info.authorities.h": "Tilsynsmyndigheter",
    "info.authorities": "Du kan også kontakte myndighetene som fører tilsyn med oss:",
    "info.contact.h": "Kontakt",
    "info.contact": "Klageansvarlig: {officer_name}, {officer_email}{officer_phone}.{helpdesk_contact} {website}",
    "info.helpdesk_note": "Spørsmål som ikke er klager, kan du sende til {helpdesk_email}.",
    "info.helpdesk_contact": "Kundeservice: {helpdesk_email}.",
    "info.phone_prefix": ", tlf. ",
    "phone_abbr": "Tlf.",
    "date_format": "dd.mm.åååå",
    "country.DK": "Danmark",
    "country.NO": "Norge",
    "country.SE": "Sverige",
    "registry.DK": "CVR-nummer",
    "registry.NO": "Organisasjonsnummer",
    "registry.SE": "Organisasjonsnummer",
    "national_id.DK": "CPR-nummer",
    "national_id.NO": "fødselsnummer",
    "national_id.SE": "personnummer",
    "lang.da": "dansk",
    "lang.en": "engelsk",
    "lang.nb": "norsk",
    "lang.sv": "svensk",
    "or": "eller",
    # Validation messages (the parser shows them next to the field's label).
    "msg.missing": "må fylles ut",
    "msg.invalid_date": "er ikke en gyldig dato (skriv den som 31.12.2026)",
    "msg.invalid_amount": "er ikke et gyldig beløp (skriv det som 12 500,00)",
    "msg.invalid_phone": "er ikke et gyldig telefonnummer",
    "msg.invalid_email": "er ikke en gyldig e-postadresse",
    "msg.invalid_registration_number": "er ikke et gyldig registreringsnummer",
    "msg.invalid_lei": "er ikke en gyldig LEI-kode (20 tegn med kontrollsifre)",
    "msg.invalid_currency": "er ikke en valutakode på tre bokstaver (f.eks. NOK)",
    "msg.invalid_choice": "har en ukjent verdi",
    "msg.too_long": "er for lang",
    "msg.line_break": "kan ikke inneholde linjeskift",
    "msg.control_character": "inneholder et ugyldig tegn",
    "msg.date_order": "sluttdatoen er før startdatoen",
    "msg.reply_email_missing": "vi trenger en e-postadresse for å svare på e-post",
    "msg.reply_address_missing": "vi trenger en postadresse for å svare per post",
    "msg.invalid": "er ugyldig",
}
