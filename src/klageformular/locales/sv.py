"""Svenska."""

from __future__ import annotations


def _party(prefix: str, who: str) -> dict[str, str]:
    return {
        f"{prefix}.last_name": "Efternamn eller företagets namn",
        f"{prefix}.last_name.tip": f"{who}s efternamn – eller hela namnet om det är ett företag.",
        f"{prefix}.first_name": "Förnamn",
        f"{prefix}.first_name.tip": f"{who}s förnamn och eventuella mellannamn.",
        f"{prefix}.registration_number": "{registry} (endast företag)",
        f"{prefix}.registration_number.tip": "Företagets registreringsnummer. Skriv inte {national_id}.",
        f"{prefix}.lei": "LEI-kod (om företaget har en)",
        f"{prefix}.lei.tip": "Legal Entity Identifier: 20 tecken.",
        **_contact(prefix, who),
    }


def _contact(prefix: str, who: str) -> dict[str, str]:
    return {
        f"{prefix}.street": "Adress (gata, nr, våning)",
        f"{prefix}.street.tip": f"{who}s adress – för företag den registrerade adressen.",
        f"{prefix}.postcode": "Postnr",
        f"{prefix}.postcode.tip": "Postnummer.",
        f"{prefix}.city": "Ort",
        f"{prefix}.city.tip": "Postort.",
        f"{prefix}.country": "Land",
        f"{prefix}.country.tip": "Land, t.ex. {home_country}.",
        f"{prefix}.phone": "Telefon",
        f"{prefix}.phone.tip": "Telefonnummer – med landsnummer om numret inte är från {home_country}.",
        f"{prefix}.email": "E-post",
        f"{prefix}.email.tip": "En e-postadress som vi kan svara till.",
    }


STRINGS: dict[str, str] = {
    "language_name": "Svenska",
    "title": "Klagomålsblankett",
    "subtitle": "Klagomål till {org_name} – EU:s standardmall för klagomål på gräsrotsfinansieringstjänster",
    "page": "sida",
    "intro": "Fyll i blanketten på skärmen eller för hand och skicka den till vår klagomålsansvarige, "
    "{officer_name}, på {officer_email}. Skriv ”{subject_marker}” i ämnesraden. Det är kostnadsfritt att klaga, "
    "och du får en bekräftelse senast {ack_days} arbetsdagar efter att vi har tagit emot klagomålet. "
    "Fält markerade med * måste fyllas i. Skriv inte ditt {national_id} – vi behöver det inte.",
    "section.1": "1. Klagande",
    "section.1b": "1.b Kontaktuppgifter – endast om de skiljer sig från ovan",
    "section.2": "2. Ombud – om någon annan klagar för din räkning",
    "section.2.note": "Bifoga fullmakt eller annat underlag som visar att ombudet får företräda dig.",
    "section.2b": "2.b Ombudets kontaktuppgifter – endast om de skiljer sig från ovan",
    "section.3": "3. Klagomålet",
    "section.4": "4. Underlag",
    "section.5": "5. Underskrift",
    "signature": "Underskrift",
    "complainant.role": "Jag är",
    "complainant.role.tip": "Välj om du klagar som investerare, låntagare eller annat.",
    "complainant.role.investor": "investerare",
    "complainant.role.borrower": "låntagare",
    "complainant.role.other": "annat",
    "complainant.client_reference": "Kundnummer hos {org_name}",
    "complainant.client_reference.tip": "Ditt kund- eller användarnummer, om du vet det.",
    **_party("complainant", "Den klagande"),
    **_contact("complainant_contact", "Den klagande"),
    **_party("representative", "Ombudet"),
    **_contact("representative_contact", "Ombudet"),
    "investment.reference": "3.a Investerings- eller lånenummer",
    "investment.reference.tip": "Numret på investeringen, lånet eller avtalet som klagomålet gäller.",
    "investment.project": "Projekt eller projektägare",
    "investment.project.tip": "Namnet på projektet eller företaget som har lånat pengarna.",
    "investment.transactions": "Andra referenser (t.ex. transaktioner)",
    "investment.transactions.tip": "Referenser till betalningar eller transaktioner som klagomålet gäller.",
    "subject": "3.b Vad gäller klagomålet? *",
    "subject.tip": "Beskriv klagomålet så exakt du kan: Vad hände, och vad vill du att vi gör? "
    "Bifoga gärna underlag. Skriv inte {national_id}.",
    "facts_date": "3.c Datum för händelsen",
    "facts_date.tip": "När hände det du klagar på? Skriv datumet som {date_format}.",
    "facts_date_end": "Ev. till och med datum",
    "facts_date_end.tip": "Om det pågick under en period: periodens sista dag ({date_format}).",
    "damage.amount": "3.d Belopp (ev.)",
    "damage.amount.tip": "Förlustens storlek, om du kan beräkna den, t.ex. 12 500,00.",
    "damage.currency": "Valuta",
    "damage.currency.tip": "Valutakod med tre bokstäver, t.ex. {currency} eller EUR.",
    "damage.description": "3.d Skada, förlust eller olägenhet",
    "damage.description.tip": "Vilken förlust eller olägenhet har detta orsakat dig?",
    "other_comments": "3.e Övriga kommentarer",
    "other_comments.tip": "Annat vi bör känna till för att kunna hantera klagomålet.",
    "documentation.power_of_attorney": "Fullmakt eller annat underlag som visar att ombudet får företräda dig",
    "documentation.power_of_attorney.tip": "Kryssa i om du bifogar en fullmakt.",
    "documentation.contractual_documents": "Kopia av avtalshandlingarna för investeringen eller lånet",
    "documentation.contractual_documents.tip": "Kryssa i om du bifogar avtalshandlingarna.",
    "documentation.other_documents": "Andra bilagor – ange vilka nedan",
    "documentation.other_documents.tip": "Kryssa i om du bifogar andra bilagor.",
    "documentation.other_documents_list": "Bifogade handlingar",
    "documentation.other_documents_list.tip": "En lista över de andra bilagorna du skickar med.",
    "reply_channel": "Jag vill ha svar",
    "reply_channel.tip": "Välj om du vill ha svaret via e-post eller per post.",
    "reply_channel.electronic": "via e-post",
    "reply_channel.paper": "per post",
    "signature.place": "Ort",
    "signature.place.tip": "Orten där blanketten fylldes i.",
    "signature.date": "Datum",
    "signature.date.tip": "Datum för underskriften ({date_format}).",
    "signature.signatory": "Undertecknad av",
    "signature.signatory.tip": "Välj om den klagande själv eller ombudet skriver under.",
    "signature.signatory.complainant": "den klagande",
    "signature.signatory.representative": "ombudet",
    # The information page.
    "info.title": "Så hanterar vi ditt klagomål",
    "info.free.h": "Det är kostnadsfritt att klaga",
    "info.free": "{org_name} hanterar alla klagomål enligt en fast rutin och utan kostnad för dig.",
    "info.how.h": "Så skickar du klagomålet",
    "info.how": "Skicka den ifyllda blanketten som bilaga till vår klagomålsansvarige, {officer_name}, på "
    "{officer_email}, och skriv ”{subject_marker}” i ämnesraden. Du kan också skriva ett vanligt "
    "e-postmeddelande med samma uppgifter. Bifoga underlag som styrker klagomålet. Du kan skriva på "
    "{languages}.{helpdesk_note}",
    "info.ack.h": "Bekräftelse inom {ack_days} arbetsdagar",
    "info.ack": "Senast {ack_days} arbetsdagar efter att vi har tagit emot klagomålet får du en skriftlig "
    "bekräftelse. Där står om vi kan pröva klagomålet, vem som är din kontaktperson – med e-postadress och "
    "telefonnummer – och när du kan räkna med ett beslut. Kan vi inte pröva klagomålet får du en tydlig motivering.",
    "info.ack.timeframe": "Normalt fattar vi beslut inom {decision_days} arbetsdagar.",
    "info.process.h": "Handläggningen",
    "info.process": "Den klagomålsansvarige bedömer om vi behöver fler uppgifter eller handlingar från dig, om vi "
    "bör ta in extern rådgivning, om vi har fått andra klagomål i samma sak och om klagomålet bör leda till "
    "ändrade rutiner, ny praxis eller utbildning av personalen. Saknas uppgifter frågar vi dig.",
    "info.decision.h": "Beslutet",
    "info.decision": "Vi besvarar varje punkt i klagomålet, på det språk du klagade på, via e-post eller per post "
    "som du önskar. Får du inte rätt får du ett skriftligt och motiverat svar som också talar om vart du kan "
    "vända dig härnäst. Kan vi inte svara inom den tid vi har angett får du veta varför och när du kan räkna med "
    "svar. Vi registrerar alla klagomål och de åtgärder de leder till, och rapporterar klagomål till "
    "myndigheterna enligt gällande regler.",
    "info.escalation.h": "Om du inte är nöjd",
    "info.escalation": "Om klagomålet inte prövas eller om du inte får rätt kan du gå vidare:",
    "info.authorities.h": "Tillsynsmyndigheter",
    "info.authorities": "Du kan också vända dig till de myndigheter som har tillsyn över oss:",
    "info.contact.h": "Kontakt",
    "info.contact": "Klagomålsansvarig: {officer_name}, {officer_email}{officer_phone}.{helpdesk_contact} {website}",
    "info.helpdesk_note": "Frågor som inte är klagomål skickar du till {helpdesk_email}.",
    "info.helpdesk_contact": "Kundtjänst: {helpdesk_email}.",
    "info.phone_prefix": ", tfn ",
    "phone_abbr": "Tfn",
    "date_format": "åååå-mm-dd",
    "country.DK": "Danmark",
    "country.NO": "Norge",
    "country.SE": "Sverige",
    "registry.DK": "CVR-nummer",
    "registry.NO": "Organisationsnummer",
    "registry.SE": "Organisationsnummer",
    "national_id.DK": "CPR-nummer",
    "national_id.NO": "personnummer",
    "national_id.SE": "personnummer",
    "lang.da": "danska",
    "lang.en": "engelska",
    "lang.nb": "norska",
    "lang.sv": "svenska",
    "or": "eller",
    # Validation messages (the parser shows them next to the field's label).
    "msg.missing": "måste fyllas i",
    "msg.invalid_date": "är inte ett giltigt datum (skriv det som 2026-12-31)",
    "msg.invalid_amount": "är inte ett giltigt belopp (skriv det som 12 500,00)",
    "msg.invalid_phone": "är inte ett giltigt telefonnummer",
    "msg.invalid_email": "är inte en giltig e-postadress",
    "msg.invalid_registration_number": "är inte ett giltigt registreringsnummer",
    "msg.invalid_lei": "är inte en giltig LEI-kod (20 tecken med kontrollsiffror)",
    "msg.invalid_currency": "är inte en valutakod med tre bokstäver (t.ex. SEK)",
    "msg.invalid_choice": "har ett okänt värde",
    "msg.too_long": "är för lång",
    "msg.line_break": "får inte innehålla radbrytningar",
    "msg.control_character": "innehåller ett ogiltigt tecken",
    "msg.date_order": "slutdatumet ligger före startdatumet",
    "msg.reply_email_missing": "en e-postadress behövs för att vi ska kunna svara via e-post",
    "msg.reply_address_missing": "en postadress behövs för att vi ska kunna svara per post",
    "msg.invalid": "är ogiltig",
}
