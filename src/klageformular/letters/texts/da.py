"""Dansk."""

from __future__ import annotations

TEXTS: dict[str, str] = {
    "months": "januar februar marts april maj juni juli august september oktober november december",
    "date": "{day}. {month} {year}",
    "quote": "«{text}»",
    "page": "side",
    "ack.title": "Bekræftelse på modtagelse af din klage",
    "decision.title": "Afgørelse på din klage",
    "meta.reference": "Reference",
    "meta.received": "Modtaget",
    "meta.date": "Dato",
    "meta.contact": "Kontakt",
    "salutation": "Kære {name}",
    "salutation.none": "Kære kunde",
    "ack.intro": "Tak for din klage. Vi modtog den {received} og har registreret den under referencen {reference}. "
    "Oplys venligst referencen, når du skriver til os om klagen. Det er gratis for dig at få klagen behandlet.",
    "received.h": "Det har vi modtaget",
    "received.acroform": "Klageformularen, udfyldt på skærmen",
    "received.text": "Klageformularen (en kopi uden udfyldelige felter)",
    "received.email": "Din e-mail",
    "received.copies": "Vi har modtaget klagen {count} gange (som separate filer eller e-mails); "
    "vi behandler den som én klage",
    "received.attachment": "Bilag: {name}",
    "received.enclosed": "Dokumenter, du har markeret som vedlagt i formularen: {items}",
    "received.subject": "Din klage: {quote}",
    "received.investment": "Investering eller lån: {reference}",
    "doc.power_of_attorney": "fuldmagt",
    "doc.contractual_documents": "aftaledokumenter",
    "doc.other_documents": "andre bilag",
    "admissibility.h": "Kan vi behandle din klage?",
    "admissibility.admissible": "Ja. Vi har vurderet din klage, og den opfylder betingelserne for at blive behandlet "
    "efter vores klageprocedure. Vi går nu i gang med at undersøge sagen.",
    "admissibility.needs_more_information": "Før vi kan træffe afgørelse, har vi brug for flere oplysninger fra dig: "
    "{reason}",
    "admissibility.needs_more_information.how": "Send dem venligst til {officer_email}, og oplys referencen "
    "{reference}. Vi arbejder videre med klagen, så snart vi har modtaget dem.",
    "admissibility.inadmissible": "Nej. Vi kan ikke behandle din klage efter vores klageprocedure. "
    "Begrundelsen er: {reason}",
    "admissibility.inadmissible.next": "Dette brev er derfor vores svar. Er du ikke enig, kan du henvende dig til "
    "de instanser, der står nedenfor.",
    "contact.h": "Din kontaktperson",
    "contact.body": "{officer_name} behandler din klage og er din kontaktperson.",
    "contact.email": "E-mail",
    "contact.phone": "Telefon",
    "timeframe.h": "Hvornår hører du fra os?",
    "timeframe.body": "Vi forventer at sende dig vores skriftlige afgørelse senest {decision_by}, det vil sige inden "
    "for {days} arbejdsdage efter, at vi modtog klagen. Får vi brug for mere tid, fortæller vi dig hvorfor, og "
    "hvornår du kan forvente afgørelsen.",
    "timeframe.more_information": "Venter vi på oplysninger fra dig, regnes fristen fra den dag, vi modtager dem.",
    "escalation.h": "Hvis du ikke er tilfreds",
    "escalation.ack": "Bliver din klage ikke behandlet, eller er du ikke enig i vores afgørelse, kan du klage til:",
    "escalation.decision": "Er du ikke enig i vores afgørelse, kan du klage til:",
    "authorities.h": "Tilsynsmyndigheder",
    "authorities.body": "Du kan også henvende dig til de myndigheder, der fører tilsyn med os:",
    "phone_abbr": "Tlf.",
    "closing": "Med venlig hilsen",
    "signature.role": "Klageansvarlig, {org_name}",
    "decision.intro": "Vi har nu færdigbehandlet den klage, vi modtog fra dig {received} (reference {reference}).",
    "outcome.upheld": "Vi giver dig medhold i din klage.",
    "outcome.partly_upheld": "Vi giver dig delvis medhold i din klage.",
    "outcome.rejected": "Vi kan ikke give dig medhold i din klage.",
    "reasons.h": "Begrundelse",
    "next.h": "Hvad sker der nu?",
    "next.upheld": "Vi retter op på forholdet som beskrevet ovenfor. Har du spørgsmål, er du velkommen til at "
    "kontakte din kontaktperson.",
    "next.partly_upheld": "Vi retter op på den del af klagen, som du får medhold i, som beskrevet ovenfor. Den del, "
    "du ikke får medhold i, kan du klage videre over som beskrevet nedenfor.",
    "next.rejected": "Vi betragter hermed klagen som afsluttet. Du kan klage videre som beskrevet nedenfor.",
    "mail.subject": "{title} – {reference}",
    "mail.body": "Vedhæftet finder du vores brev om din klage med referencen {reference}.",
}
