"""Dansk (default)."""

from __future__ import annotations


def _party(prefix: str, who: str) -> dict[str, str]:
    return {
        f"{prefix}.last_name": "Efternavn eller virksomhedens navn",
        f"{prefix}.last_name.tip": f"{who}s efternavn – eller det fulde navn, hvis det er en virksomhed.",
        f"{prefix}.first_name": "Fornavn(e)",
        f"{prefix}.first_name.tip": f"{who}s fornavn og eventuelle mellemnavne.",
        f"{prefix}.registration_number": "{registry} (kun virksomheder)",
        f"{prefix}.registration_number.tip": "Virksomhedens registreringsnummer. Skriv ikke {national_id}.",
        f"{prefix}.lei": "LEI-kode (hvis virksomheden har en)",
        f"{prefix}.lei.tip": "Legal Entity Identifier: 20 tegn.",
        **_contact(prefix, who),
    }


def _contact(prefix: str, who: str) -> dict[str, str]:
    return {
        f"{prefix}.street": "Adresse (vej, nr., etage)",
        f"{prefix}.street.tip": f"{who}s adresse – for virksomheder hjemstedsadressen.",
        f"{prefix}.postcode": "Postnr.",
        f"{prefix}.postcode.tip": "Postnummer.",
        f"{prefix}.city": "By",
        f"{prefix}.city.tip": "By.",
        f"{prefix}.country": "Land",
        f"{prefix}.country.tip": "Land, fx {home_country}.",
        f"{prefix}.phone": "Telefon",
        f"{prefix}.phone.tip": "Telefonnummer; skriv landekode, hvis nummeret ikke er fra {home_country}.",
        f"{prefix}.email": "E-mail",
        f"{prefix}.email.tip": "E-mailadresse, vi kan svare på.",
    }


STRINGS: dict[str, str] = {
    "language_name": "Dansk",
    "title": "Klageformular",
    "subtitle": "Klage over {org_name} – EU-standardskabelon for klager over crowdfundingtjenester",
    "page": "side",
    "intro": "Udfyld formularen på skærmen eller i hånden, og send den til vores klageansvarlige, {officer_name}, "
    "på {officer_email}. Skriv «{subject_marker}» i emnefeltet. Det er gratis at klage, og du får en bekræftelse "
    "senest {ack_days} arbejdsdage efter, at vi har modtaget klagen. Felter med * skal udfyldes. "
    "Skriv ikke dit {national_id} – vi har ikke brug for det.",
    "section.1": "1. Klager",
    "section.1b": "1.b Kontaktoplysninger – kun hvis de er andre end ovenfor",
    "section.2": "2. Juridisk repræsentant – hvis en anden klager på dine vegne",
    "section.2.note": "Vedlæg fuldmagt eller anden dokumentation for, at repræsentanten må handle på dine vegne.",
    "section.2b": "2.b Repræsentantens kontaktoplysninger – kun hvis de er andre end ovenfor",
    "section.3": "3. Klagen",
    "section.4": "4. Dokumentation",
    "section.5": "5. Underskrift",
    "signature": "Underskrift",
    "complainant.role": "Jeg er",
    "complainant.role.tip": "Vælg, om du klager som investor, låntager eller andet.",
    "complainant.role.investor": "investor",
    "complainant.role.borrower": "låntager",
    "complainant.role.other": "andet",
    "complainant.client_reference": "Kundenummer hos {org_name}",
    "complainant.client_reference.tip": "Dit kunde- eller brugernummer, hvis du kender det.",
    **_party("complainant", "Klageren"),
    **_contact("complainant_contact", "Klageren"),
    **_party("representative", "Repræsentanten"),
    **_contact("representative_contact", "Repræsentanten"),
    "investment.reference": "3.a Investerings- eller lånenummer",
    "investment.reference.tip": "Nummeret på investeringen, lånet eller aftalen, klagen handler om.",
    "investment.project": "Projekt eller projektejer",
    "investment.project.tip": "Navnet på projektet eller virksomheden, der har lånt pengene.",
    "investment.transactions": "Andre referencer (fx transaktioner)",
    "investment.transactions.tip": "Referencer på betalinger eller transaktioner, som klagen vedrører.",
    "subject": "3.b Hvad klager du over? *",
    "subject.tip": "Beskriv klagen så præcist som muligt: hvad skete der, og hvad ønsker du, at vi gør? "
    "Vedlæg gerne dokumentation. Skriv ikke {national_id}.",
    "facts_date": "3.c Dato for forholdet",
    "facts_date.tip": "Hvornår skete det, du klager over? Skriv datoen som {date_format}.",
    "facts_date_end": "Evt. til og med dato",
    "facts_date_end.tip": "Hvis det strakte sig over en periode: periodens sidste dag ({date_format}).",
    "damage.amount": "3.d Beløb (evt.)",
    "damage.amount.tip": "Tabets størrelse, hvis du kan opgøre det, fx 12.500,00.",
    "damage.currency": "Valuta",
    "damage.currency.tip": "Valutakode med tre bogstaver, fx {currency} eller EUR.",
    "damage.description": "3.d Skade, tab eller ulempe",
    "damage.description.tip": "Hvilket tab eller hvilken ulempe har forholdet påført dig?",
    "other_comments": "3.e Andre bemærkninger",
    "other_comments.tip": "Andet, vi bør vide for at behandle klagen.",
    "documentation.power_of_attorney": "Fuldmagt eller anden dokumentation for repræsentation",
    "documentation.power_of_attorney.tip": "Sæt kryds, hvis du vedlægger en fuldmagt.",
    "documentation.contractual_documents": "Kopi af aftaledokumenterne for investeringen eller lånet",
    "documentation.contractual_documents.tip": "Sæt kryds, hvis du vedlægger aftaledokumenterne.",
    "documentation.other_documents": "Andre bilag – skriv hvilke nedenfor",
    "documentation.other_documents.tip": "Sæt kryds, hvis du vedlægger andre bilag.",
    "documentation.other_documents_list": "Vedlagte bilag",
    "documentation.other_documents_list.tip": "Liste over de andre bilag, du vedlægger.",
    "reply_channel": "Jeg ønsker svar",
    "reply_channel.tip": "Vælg, om du vil have svar på e-mail eller med post.",
    "reply_channel.electronic": "på e-mail",
    "reply_channel.paper": "med post",
    "signature.place": "Sted",
    "signature.place.tip": "Byen, hvor formularen er udfyldt.",
    "signature.date": "Dato",
    "signature.date.tip": "Datoen for underskriften ({date_format}).",
    "signature.signatory": "Underskrevet af",
    "signature.signatory.tip": "Vælg, om klageren selv eller repræsentanten skriver under.",
    "signature.signatory.complainant": "klageren",
    "signature.signatory.representative": "repræsentanten",
    # The information page.
    "info.title": "Sådan behandler vi din klage",
    "info.free.h": "Det er gratis at klage",
    "info.free": "{org_name} behandler alle klager efter en fast procedure og uden omkostninger for dig.",
    "info.how.h": "Sådan sender du klagen",
    "info.how": "Send den udfyldte formular som vedhæftet fil til vores klageansvarlige, {officer_name}, på "
    "{officer_email}, og skriv «{subject_marker}» i emnefeltet. Du kan også skrive en almindelig e-mail "
    "med de samme oplysninger. Vedlæg dokumentation, der underbygger klagen. Du kan skrive på "
    "{languages}.{helpdesk_note}",
    "info.ack.h": "Bekræftelse inden for {ack_days} arbejdsdage",
    "info.ack": "Senest {ack_days} arbejdsdage efter, at vi har modtaget klagen, får du en skriftlig bekræftelse. "
    "Den fortæller, om vi kan behandle klagen, hvem der er din kontaktperson – med e-mail og telefonnummer – "
    "og hvornår du kan forvente en afgørelse. Kan vi ikke behandle klagen, får du en klar begrundelse.",
    "info.ack.timeframe": "Normalt træffer vi afgørelse inden for {decision_days} arbejdsdage.",
    "info.process.h": "Behandlingen",
    "info.process": "Den klageansvarlige vurderer, om vi har brug for flere oplysninger eller dokumenter fra dig, "
    "om vi skal indhente ekstern rådgivning, om vi har modtaget andre klager om det samme forhold, og om klagen "
    "skal føre til ændrede rutiner, ny praksis eller oplæring af medarbejdere. Mangler vi oplysninger, "
    "spørger vi dig.",
    "info.decision.h": "Afgørelsen",
    "info.decision": "Vi svarer på alle punkter i klagen, på det sprog du har klaget på, og på e-mail eller med "
    "post, som du ønsker. Får du ikke medhold, får du et skriftligt og begrundet svar, der også fortæller, "
    "hvor du kan klage videre. Kan vi ikke svare til den tid, vi har oplyst, får du at vide hvorfor og "
    "hvornår du kan forvente svar. Vi registrerer alle klager og de tiltag, de fører til, og indberetter "
    "klager til myndighederne efter reglerne på området.",
    "info.escalation.h": "Hvis du ikke er tilfreds",
    "info.escalation": "Bliver klagen ikke behandlet, eller får du ikke medhold, kan du gå videre:",
    "info.authorities.h": "Tilsynsmyndigheder",
    "info.authorities": "Du kan også henvende dig til de myndigheder, der fører tilsyn med os:",
    "info.contact.h": "Kontakt",
    "info.contact": "Klageansvarlig: {officer_name}, {officer_email}{officer_phone}.{helpdesk_contact} {website}",
    "info.helpdesk_note": "Har du spørgsmål, der ikke er en klage, så skriv til {helpdesk_email}.",
    "info.helpdesk_contact": "Kundeservice: {helpdesk_email}.",
    "info.phone_prefix": ", tlf. ",
    "phone_abbr": "Tlf.",
    "date_format": "dd-mm-åååå",
    "country.DK": "Danmark",
    "country.NO": "Norge",
    "country.SE": "Sverige",
    "registry.DK": "CVR-nummer",
    "registry.NO": "Organisationsnummer",
    "registry.SE": "Organisationsnummer",
    "national_id.DK": "CPR-nummer",
    "national_id.NO": "fødselsnummer",
    "national_id.SE": "personnummer",
    "lang.da": "dansk",
    "lang.en": "engelsk",
    "lang.nb": "norsk",
    "lang.sv": "svensk",
    "or": "eller",
    # Validation messages (the parser shows them next to the field's label).
    "msg.missing": "skal udfyldes",
    "msg.invalid_date": "er ikke en gyldig dato (skriv den som 31-12-2026)",
    "msg.invalid_amount": "er ikke et gyldigt beløb (skriv det som 12.500,00)",
    "msg.invalid_phone": "er ikke et gyldigt telefonnummer",
    "msg.invalid_email": "er ikke en gyldig e-mailadresse",
    "msg.invalid_registration_number": "er ikke et gyldigt registreringsnummer",
    "msg.invalid_lei": "er ikke en gyldig LEI-kode (20 tegn med kontrolcifre)",
    "msg.invalid_currency": "er ikke en valutakode med tre bogstaver (fx DKK)",
    "msg.invalid_choice": "har en ukendt værdi",
    "msg.too_long": "er for lang",
    "msg.line_break": "må ikke indeholde linjeskift",
    "msg.control_character": "indeholder et ugyldigt tegn",
    "msg.date_order": "slutdatoen ligger før startdatoen",
    "msg.reply_email_missing": "en e-mailadresse er nødvendig for at svare på e-mail",
    "msg.reply_address_missing": "en postadresse er nødvendig for at svare med post",
    "msg.invalid": "er ugyldig",
}
