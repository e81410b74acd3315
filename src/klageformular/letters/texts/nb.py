"""Norsk (bokmål)."""

from __future__ import annotations

TEXTS: dict[str, str] = {
    "months": "januar februar mars april mai juni juli august september oktober november desember",
    "date": "{day}. {month} {year}",
    "quote": "«{text}»",
    "page": "side",
    "ack.title": "Bekreftelse på mottatt klage",
    "decision.title": "Avgjørelse i klagesaken din",
    "meta.reference": "Referanse",
    "meta.received": "Mottatt",
    "meta.date": "Dato",
    "meta.contact": "Kontakt",
    "salutation": "Hei {name}",
    "salutation.none": "Hei",
    "ack.intro": "Takk for klagen din. Vi mottok den {received} og har registrert den med referansen {reference}. "
    "Oppgi referansen når du skriver til oss om klagen. Det er gratis for deg å få klagen behandlet.",
    "received.h": "Dette har vi mottatt",
    "received.acroform": "Klageskjemaet, utfylt på skjermen",
    "received.text": "Klageskjemaet (en kopi uten utfyllbare felt)",
    "received.email": "E-posten din",
    "received.copies": "Vi har mottatt klagen {count} ganger (som separate filer eller e-poster); "
    "vi behandler den som én klage",
    "received.attachment": "Vedlegg: {name}",
    "received.enclosed": "Dokumenter du har krysset av for som vedlagt i skjemaet: {items}",
    "received.subject": "Klagen din: {quote}",
    "received.investment": "Investering eller lån: {reference}",
    "doc.power_of_attorney": "fullmakt",
    "doc.contractual_documents": "avtaledokumenter",
    "doc.other_documents": "andre vedlegg",
    "admissibility.h": "Kan vi behandle klagen din?",
    "admissibility.admissible": "Ja. Vi har vurdert klagen din, og den oppfyller vilkårene for å bli behandlet etter "
    "klagerutinen vår. Vi begynner nå å undersøke saken.",
    "admissibility.needs_more_information": "Før vi kan avgjøre klagen, trenger vi flere opplysninger fra deg: "
    "{reason}",
    "admissibility.needs_more_information.how": "Send dem til {officer_email}, og oppgi referansen {reference}. "
    "Vi arbeider videre med klagen så snart vi har mottatt dem.",
    "admissibility.inadmissible": "Nei. Vi kan ikke behandle klagen din etter klagerutinen vår. "
    "Begrunnelsen er: {reason}",
    "admissibility.inadmissible.next": "Dette brevet er derfor svaret vårt. Er du uenig, kan du kontakte "
    "instansene nedenfor.",
    "contact.h": "Kontaktpersonen din",
    "contact.body": "{officer_name} behandler klagen din og er kontaktpersonen din.",
    "contact.email": "E-post",
    "contact.phone": "Telefon",
    "timeframe.h": "Når hører du fra oss?",
    "timeframe.body": "Vi regner med å sende deg den skriftlige avgjørelsen vår innen {decision_by}, det vil si innen "
    "{days} virkedager etter at vi mottok klagen. Trenger vi mer tid, forteller vi deg hvorfor og når du kan vente "
    "avgjørelsen.",
    "timeframe.more_information": "Venter vi på opplysninger fra deg, regnes fristen fra den dagen vi mottar dem.",
    "escalation.h": "Hvis du ikke er fornøyd",
    "escalation.ack": "Blir klagen din ikke behandlet, eller er du uenig i avgjørelsen vår, kan du klage til:",
    "escalation.decision": "Er du uenig i avgjørelsen vår, kan du klage til:",
    "authorities.h": "Tilsynsmyndigheter",
    "authorities.body": "Du kan også kontakte myndighetene som fører tilsyn med oss:",
    "phone_abbr": "Tlf.",
    "closing": "Med vennlig hilsen",
    "signature.role": "Klageansvarlig, {org_name}",
    "decision.intro": "Vi har nå ferdigbehandlet klagen vi mottok fra deg {received} (referanse {reference}).",
    "outcome.upheld": "Du får medhold i klagen din.",
    "outcome.partly_upheld": "Du får delvis medhold i klagen din.",
    "outcome.rejected": "Du får ikke medhold i klagen din.",
    "reasons.h": "Begrunnelse",
    "next.h": "Hva skjer nå?",
    "next.upheld": "Vi retter opp forholdet slik det er beskrevet ovenfor. Har du spørsmål, er du velkommen til å "
    "kontakte kontaktpersonen din.",
    "next.partly_upheld": "Vi retter opp den delen av klagen du får medhold i, slik det er beskrevet ovenfor. Den "
    "delen du ikke får medhold i, kan du klage videre på som beskrevet nedenfor.",
    "next.rejected": "Vi anser med dette klagen som avsluttet. Du kan klage videre som beskrevet nedenfor.",
    "mail.subject": "{title} – {reference}",
    "mail.body": "Vedlagt er brevet vårt om klagen din med referansen {reference}.",
}
