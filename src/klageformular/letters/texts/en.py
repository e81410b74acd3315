"""English."""

from __future__ import annotations

TEXTS: dict[str, str] = {
    "months": "January February March April May June July August September October November December",
    "date": "{day} {month} {year}",
    "quote": "“{text}”",
    "page": "page",
    "ack.title": "Acknowledgement of your complaint",
    "decision.title": "Decision on your complaint",
    "meta.reference": "Reference",
    "meta.received": "Received",
    "meta.date": "Date",
    "meta.contact": "Contact",
    "salutation": "Dear {name},",
    "salutation.none": "Dear customer,",
    "ack.intro": "Thank you for your complaint. We received it on {received} and have registered it under the "
    "reference {reference}. Please quote this reference whenever you write to us about the complaint. "
    "Handling it is free of charge.",
    "received.h": "What we received",
    "received.acroform": "The complaint form, filled in on screen",
    "received.text": "The complaint form, as a printed or flattened copy",
    "received.email": "Your email",
    "received.copies": "We received the complaint {count} times (as separate files or emails); "
    "we handle it as one complaint",
    "received.attachment": "Attachment: {name}",
    "received.enclosed": "Documents the form says are enclosed: {items}",
    "received.subject": "Your complaint: {quote}",
    "received.investment": "Investment or loan: {reference}",
    "doc.power_of_attorney": "power of attorney",
    "doc.contractual_documents": "contractual documents",
    "doc.other_documents": "other documents",
    "admissibility.h": "Can we handle your complaint?",
    "admissibility.admissible": "Yes. We have assessed your complaint, and it meets the conditions for being handled "
    "under our complaints procedure. We will now look into it.",
    "admissibility.needs_more_information": "Before we can decide on your complaint, we need more information "
    "from you: {reason}",
    "admissibility.needs_more_information.how": "Please send it to {officer_email}, quoting the reference "
    "{reference}. We will continue with your complaint as soon as we have it.",
    "admissibility.inadmissible": "No. We cannot handle your complaint under our complaints procedure, "
    "for this reason: {reason}",
    "admissibility.inadmissible.next": "This letter is therefore our answer. If you do not agree, you can "
    "contact the bodies listed below.",
    "contact.h": "Your contact person",
    "contact.body": "{officer_name} handles your complaint and is your contact person.",
    "contact.email": "Email",
    "contact.phone": "Telephone",
    "timeframe.h": "When you will hear from us",
    "timeframe.body": "We expect to send you our written decision by {decision_by}, that is within "
    "{days} working days of receiving your complaint. If we need more time, we will tell you why and "
    "when you can expect the decision.",
    "timeframe.more_information": "If we are waiting for information from you, the time runs from the day "
    "we receive it.",
    "escalation.h": "If you are not satisfied",
    "escalation.ack": "If your complaint is not handled, or you do not agree with our decision, you can take it to:",
    "escalation.decision": "If you do not agree with our decision, you can take your complaint to:",
    "authorities.h": "Supervisory authorities",
    "authorities.body": "You can also contact the authorities that supervise us:",
    "phone_abbr": "Tel.",
    "closing": "Kind regards",
    "signature.role": "Complaints officer, {org_name}",
    "decision.intro": "We have now finished looking into the complaint we received from you on {received} "
    "(reference {reference}).",
    "outcome.upheld": "We uphold your complaint.",
    "outcome.partly_upheld": "We partly uphold your complaint.",
    "outcome.rejected": "We do not uphold your complaint.",
    "reasons.h": "Our reasons",
    "next.h": "What happens next",
    "next.upheld": "We will put matters right as described above. If you have any questions, please contact "
    "your contact person.",
    "next.partly_upheld": "We will put right the part of your complaint that we uphold, as described above. "
    "For the part we do not uphold, you can take your complaint further as described below.",
    "next.rejected": "We therefore consider your complaint closed. You can take it further as described below.",
    "mail.subject": "{title} – {reference}",
    "mail.body": "Please find attached our letter about your complaint, reference {reference}.",
}
