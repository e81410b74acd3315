"""Svenska."""

from __future__ import annotations

TEXTS: dict[str, str] = {
    "months": "januari februari mars april maj juni juli augusti september oktober november december",
    "date": "{day} {month} {year}",
    "quote": "”{text}”",
    "page": "sida",
    "ack.title": "Bekräftelse på mottaget klagomål",
    "decision.title": "Beslut om ditt klagomål",
    "meta.reference": "Referens",
    "meta.received": "Mottaget",
    "meta.date": "Datum",
    "meta.contact": "Kontakt",
    "salutation": "Hej {name},",
    "salutation.none": "Hej,",
    "ack.intro": "Tack för ditt klagomål. Vi tog emot det den {received} och har registrerat det med referensen "
    "{reference}. Ange referensen när du skriver till oss om klagomålet. Det kostar ingenting att få klagomålet "
    "behandlat.",
    "received.h": "Det här har vi tagit emot",
    "received.acroform": "Klagomålsblanketten, ifylld på skärmen",
    "received.text": "Klagomålsblanketten (en kopia utan ifyllbara fält)",
    "received.email": "Ditt e-postmeddelande",
    "received.copies": "Vi har tagit emot klagomålet {count} gånger (som separata filer eller e-postmeddelanden); "
    "vi behandlar det som ett klagomål",
    "received.attachment": "Bilaga: {name}",
    "received.enclosed": "Handlingar som du har markerat som bifogade i blanketten: {items}",
    "received.subject": "Ditt klagomål: {quote}",
    "received.investment": "Investering eller lån: {reference}",
    "doc.power_of_attorney": "fullmakt",
    "doc.contractual_documents": "avtalshandlingar",
    "doc.other_documents": "andra bilagor",
    "admissibility.h": "Kan vi pröva ditt klagomål?",
    "admissibility.admissible": "Ja. Vi har gått igenom ditt klagomål, och det uppfyller villkoren för att prövas "
    "enligt vår klagomålsrutin. Vi börjar nu utreda ärendet.",
    "admissibility.needs_more_information": "Innan vi kan fatta beslut behöver vi fler uppgifter från dig: {reason}",
    "admissibility.needs_more_information.how": "Skicka dem till {officer_email} och ange referensen {reference}. "
    "Vi fortsätter med ditt klagomål så snart vi har fått dem.",
    "admissibility.inadmissible": "Nej. Vi kan inte pröva ditt klagomål enligt vår klagomålsrutin. "
    "Skälet är: {reason}",
    "admissibility.inadmissible.next": "Det här brevet är därför vårt svar. Om du inte håller med kan du vända dig "
    "till de instanser som anges nedan.",
    "contact.h": "Din kontaktperson",
    "contact.body": "{officer_name} handlägger ditt klagomål och är din kontaktperson.",
    "contact.email": "E-post",
    "contact.phone": "Telefon",
    "timeframe.h": "När hör du av oss?",
    "timeframe.body": "Vi räknar med att skicka vårt skriftliga beslut senast den {decision_by}, det vill säga inom "
    "{days} arbetsdagar från det att vi tog emot ditt klagomål. Om vi behöver mer tid meddelar vi dig varför och när "
    "du kan vänta dig beslutet.",
    "timeframe.more_information": "Om vi väntar på uppgifter från dig räknas tiden från den dag då vi får dem.",
    "escalation.h": "Om du inte är nöjd",
    "escalation.ack": "Om ditt klagomål inte prövas eller om du inte håller med om vårt beslut kan du vända dig till:",
    "escalation.decision": "Om du inte håller med om vårt beslut kan du vända dig till:",
    "authorities.h": "Tillsynsmyndigheter",
    "authorities.body": "Du kan också kontakta de myndigheter som har tillsyn över oss:",
    "phone_abbr": "Tfn",
    "closing": "Med vänliga hälsningar",
    "signature.role": "Klagomålsansvarig, {org_name}",
    "decision.intro": "Vi har nu utrett det klagomål som vi tog emot från dig den {received} (referens {reference}).",
    "outcome.upheld": "Vi ger dig rätt i ditt klagomål.",
    "outcome.partly_upheld": "Vi ger dig delvis rätt i ditt klagomål.",
    "outcome.rejected": "Vi kan inte ge dig rätt i ditt klagomål.",
    "reasons.h": "Skälen för beslutet",
    "next.h": "Vad händer nu?",
    "next.upheld": "Vi rättar till det som beskrivs ovan. Om du har frågor är du välkommen att kontakta din "
    "kontaktperson.",
    "next.partly_upheld": "Vi rättar till den del av klagomålet som vi ger dig rätt i, så som beskrivs ovan. Den del "
    "som du inte får rätt i kan du gå vidare med enligt nedan.",
    "next.rejected": "Vi betraktar därmed ärendet som avslutat från vår sida. Du kan gå vidare med ditt klagomål "
    "enligt nedan.",
    "mail.subject": "{title} – {reference}",
    "mail.body": "Bifogat finns vårt brev om ditt klagomål med referensen {reference}.",
}
