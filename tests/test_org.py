"""The built-in organisation profiles: built without validation at import, so checked here."""

from __future__ import annotations

import pytest

from klageformular.org import Body, Officer, Organisation, get_organisation, organisation_keys


@pytest.mark.parametrize("key", organisation_keys())
def test_every_built_in_profile_is_valid_as_written(key: str) -> None:
    profile = get_organisation(key)
    again = Organisation.model_validate(profile.model_dump(exclude_unset=True))
    assert again == profile
    assert again.model_fields_set == profile.model_fields_set
    for part in (profile.complaints_officer, *profile.escalation, *profile.authorities):
        assert isinstance(part, Officer | Body)
        assert type(part).model_validate(part.model_dump()) == part


def test_a_profile_with_a_wrong_language_would_fail_validation() -> None:
    # The check above can fail: the same data with a language the form has no catalogue for is refused.
    data = get_organisation().model_dump()
    data["languages"] = ("da", "xx")
    with pytest.raises(ValueError, match="not a language of the form"):
        Organisation.model_validate(data)


@pytest.mark.parametrize(("key", "lang", "expected"), [
    (None, "sv", "kameo-se"), (None, "en", "kameo-dk"), (None, None, "kameo-dk"),  # no key: the language's home
    ("kameo-no", "da", "kameo-no"),  # a built-in key wins over the language
    ("acme", "sv", "acme"),  # a key given in the profiles
    ("kameo-dk", "da", "kameo-dk-file"),  # a given profile replaces the built-in one with its key
])
def test_profile_for_is_one_rule(key: str | None, lang: str | None, expected: str) -> None:
    from klageformular.org import profile_for

    acme = get_organisation("kameo-se").model_copy(update={"key": "acme"})
    own_dk = get_organisation("kameo-dk").model_copy(update={"name": "kameo-dk-file"})
    found = profile_for(key, lang, {"acme": acme, "kameo-dk": own_dk})
    assert (found.name if expected == "kameo-dk-file" else found.key) == expected


def test_profile_for_refuses_an_unknown_key_instead_of_guessing() -> None:
    from klageformular.exceptions import ConfigurationError, UnknownProfileError
    from klageformular.org import profile_for

    with pytest.raises(UnknownProfileError, match=r"^KLA-2026-0007 is handled under profile 'acme', which is not "
                                                  r"built in: give its profile file \(--org-file\)") as caught:
        profile_for("acme", "da", {"other": get_organisation()}, holder="KLA-2026-0007")
    assert caught.value.key == "acme" and isinstance(caught.value, ConfigurationError)
