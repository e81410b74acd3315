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
