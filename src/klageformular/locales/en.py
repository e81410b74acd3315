"""English."""

from __future__ import annotations


def _party(prefix: str, whose: str) -> dict[str, str]:
    return {
        f"{prefix}.last_name": "Last name or company name",
        f"{prefix}.last_name.tip": f"{whose} last name – or the full name if it is a company.",
        f"{prefix}.first_name": "First name(s)",
        f"{prefix}.first_name.tip": f"{whose} first name and any middle names.",
        f"{prefix}.registration_number": "Company registration number (companies only)",
        f"{prefix}.registration_number.tip": "The company's registration number, e.g. its CVR number. "
        "Do not write a personal ID number.",
        f"{prefix}.lei": "LEI (if the company has one)",
        f"{prefix}.lei.tip": "Legal Entity Identifier: 20 characters.",
        **_contact(prefix, whose),
    }


def _contact(prefix: str, whose: str) -> dict[str, str]:
    return {
        f"{prefix}.street": "Address (street, number, floor)",
        f"{prefix}.street.tip": f"{whose} address – for companies the registered office.",
        f"{prefix}.postcode": "Postcode",
        f"{prefix}.postcode.tip": "Postcode.",
        f"{prefix}.city": "City",
        f"{prefix}.city.tip": "City or town.",
        f"{prefix}.country": "Country",
        f"{prefix}.country.tip": "Country, e.g. Denmark.",
        f"{prefix}.phone": "Telephone",
        f"{prefix}.phone.tip": "Telephone number, with the country code if it is not a Danish number.",
        f"{prefix}.email": "Email",
        f"{prefix}.email.tip": "An email address we can reply to.",
    }


STRINGS: dict[str, str] = {
    "language_name": "English",
    "title": "Complaint form",
    "subtitle": "Complaint to {org_name} – EU standard template for complaints about crowdfunding services",
    "page": "page",
    "intro": "Fill in the form on screen or by hand and send it to our complaints officer, {officer_name}, at "
    "{officer_email}, with «{subject_marker}» in the subject line. Complaining is free of charge, and you will "
    "receive an acknowledgement within {ack_days} working days of our receiving the complaint. Fields marked * "
    "are required. Do not write your national ID number – we do not need it.",
    "section.1": "1. Complainant",
    "section.1b": "1.b Contact details – only if different from above",
    "section.2": "2. Legal representative – if someone else complains on your behalf",
    "section.2.note": "Attach a power of attorney or other proof that the representative may act for you.",
    "section.2b": "2.b The representative's contact details – only if different from above",
    "section.3": "3. The complaint",
    "section.4": "4. Documentation",
    "section.5": "5. Signature",
    "signature": "Signature",
    "complainant.role": "I am",
    "complainant.role.tip": "Choose whether you complain as an investor, a borrower or otherwise.",
    "complainant.role.investor": "an investor",
    "complainant.role.borrower": "a borrower",
    "complainant.role.other": "other",
    "complainant.client_reference": "Client number at {org_name}",
    "complainant.client_reference.tip": "Your client or user number, if you know it.",
    **_party("complainant", "The complainant's"),
    **_contact("complainant_contact", "The complainant's"),
    **_party("representative", "The representative's"),
    **_contact("representative_contact", "The representative's"),
    "investment.reference": "3.a Investment or loan reference",
    "investment.reference.tip": "The reference of the investment, loan or agreement the complaint is about.",
    "investment.project": "Project or project owner",
    "investment.project.tip": "The name of the project or of the company that borrowed the money.",
    "investment.transactions": "Other references (e.g. transactions)",
    "investment.transactions.tip": "References of payments or transactions the complaint concerns.",
    "subject": "3.b What is your complaint about? *",
    "subject.tip": "Describe the complaint as precisely as you can: what happened, and what would you like us "
    "to do? Attach documentation if you have it. Do not write a national ID number.",
    "facts_date": "3.c Date of the facts",
    "facts_date.tip": "When did it happen? Write the date as dd-mm-yyyy.",
    "facts_date_end": "Until (if a period)",
    "facts_date_end.tip": "If it lasted for a period: its last day (dd-mm-yyyy).",
    "damage.amount": "3.d Amount (if any)",
    "damage.amount.tip": "The size of the loss, if you can put a figure on it, e.g. 12,500.00.",
    "damage.currency": "Currency",
    "damage.currency.tip": "Three-letter currency code, e.g. DKK or EUR.",
    "damage.description": "3.d Damage, loss or detriment",
    "damage.description.tip": "What loss or detriment has this caused you?",
    "other_comments": "3.e Other comments",
    "other_comments.tip": "Anything else we should know to handle the complaint.",
    "documentation.power_of_attorney": "Power of attorney or other proof of representation",
    "documentation.power_of_attorney.tip": "Tick if you attach a power of attorney.",
    "documentation.contractual_documents": "Copy of the contractual documents of the investment or loan",
    "documentation.contractual_documents.tip": "Tick if you attach the contractual documents.",
    "documentation.other_documents": "Other documents – list them below",
    "documentation.other_documents.tip": "Tick if you attach other documents.",
    "documentation.other_documents_list": "Documents attached",
    "documentation.other_documents_list.tip": "A list of the other documents you attach.",
    "reply_channel": "Please reply",
    "reply_channel.tip": "Choose whether you want the reply by email or by post.",
    "reply_channel.electronic": "by email",
    "reply_channel.paper": "by post",
    "signature.place": "Place",
    "signature.place.tip": "Where the form was filled in, e.g. Copenhagen.",
    "signature.date": "Date",
    "signature.date.tip": "The date of signing (dd-mm-yyyy).",
    "signature.signatory": "Signed by",
    "signature.signatory.tip": "Choose whether the complainant or the representative signs.",
    "signature.signatory.complainant": "the complainant",
    "signature.signatory.representative": "the representative",
    "info.title": "How we handle your complaint",
    "info.free.h": "Complaining is free",
    "info.free": "{org_name} handles every complaint under a fixed procedure and at no cost to you.",
    "info.how.h": "How to send the complaint",
    "info.how": "Send the completed form as an attachment to our complaints officer, {officer_name}, at "
    "{officer_email}, with «{subject_marker}» in the subject line. You can also write an ordinary email with the "
    "same information. Attach documentation that supports the complaint. You may write in {languages}. "
    "For questions that are not complaints, write to {helpdesk_email}.",
    "info.ack.h": "Acknowledgement within {ack_days} working days",
    "info.ack": "Within {ack_days} working days of receiving the complaint we send you a written acknowledgement. "
    "It tells you whether we can handle the complaint, who your contact person is – with email and telephone "
    "number – and when you can expect a decision. If we cannot handle the complaint, we give you clear reasons.",
    "info.ack.timeframe": "We normally decide within {decision_days} working days.",
    "info.process.h": "How we handle it",
    "info.process": "The complaints officer assesses whether we need more information or documents from you, "
    "whether we should obtain external advice, whether we have received other complaints about the same matter, "
    "and whether the complaint should lead to changed routines, new practice or staff training. If information "
    "is missing, we ask you for it.",
    "info.decision.h": "The decision",
    "info.decision": "We answer every point of the complaint, in the language you complained in, by email or by "
    "post as you prefer. If the complaint is not upheld, you receive a written answer with our reasons and "
    "where you can take the complaint next. If we cannot answer by the date we gave, we tell you why and when "
    "to expect an answer. We record every complaint and the measures taken, and report complaints to the "
    "authorities as the rules require.",
    "info.escalation.h": "If you are not satisfied",
    "info.escalation": "If the complaint is not handled, or not upheld, you can take it further:",
    "info.authorities.h": "Supervisory authorities",
    "info.authorities": "You can also contact the authorities that supervise us:",
    "info.contact.h": "Contact",
    "info.contact": "Complaints officer: {officer_name}, {officer_email}{officer_phone}. Customer service: "
    "{helpdesk_email}. {website}",
    "info.phone_prefix": ", tel. ",
    "lang.da": "Danish",
    "lang.en": "English",
    "lang.nb": "Norwegian",
    "lang.sv": "Swedish",
    "or": "or",
    "msg.missing": "is required",
    "msg.invalid_date": "is not a valid date (write it as 31-12-2026)",
    "msg.invalid_amount": "is not a valid amount (write it as 12,500.00)",
    "msg.invalid_phone": "is not a valid telephone number",
    "msg.invalid_email": "is not a valid email address",
    "msg.invalid_registration_number": "is not a valid registration number",
    "msg.invalid_lei": "is not a valid LEI (20 characters with check digits)",
    "msg.invalid_currency": "is not a three-letter currency code (e.g. DKK)",
    "msg.invalid_choice": "has an unknown value",
    "msg.too_long": "is too long",
    "msg.line_break": "must not contain line breaks",
    "msg.control_character": "contains an invalid character",
    "msg.date_order": "the end date is before the start date",
    "msg.reply_email_missing": "an email address is needed to reply by email",
    "msg.reply_address_missing": "a postal address is needed to reply by post",
    "msg.invalid": "is invalid",
}
