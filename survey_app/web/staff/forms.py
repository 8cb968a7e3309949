"""WTForms classes for the staff pages. CSRF is checked for every POST by Flask-WTF's
CSRFProtect, so these forms carry no token field of their own."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from datetime import tzinfo
from typing import Any

from wtforms import Field, Form, PasswordField, StringField
from wtforms.validators import EqualTo, InputRequired, Length, StopValidation

from survey_app.domain.characters import has_control_characters
from survey_app.domain.numbers import typed_number
from survey_app.services.accounts import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, ROLES
from survey_app.services.codes import MAX_CODES_PER_BATCH
from survey_app.services.intake import MOST_PER_MINUTE
from survey_app.services.sessions import (
    FORMATS,
    MOST_OPEN_MINUTES,
    SESSION_TITLE_CONTROL_CHARACTERS,
)
from survey_app.services.surveys import ACCESS_MODES, MIN_GROUP_FLOOR, TITLE_CONTROL_CHARACTERS
from survey_app.web.staff import messages

MAX_WEB_CODES = min(5_000, MAX_CODES_PER_BATCH)
MAX_MIN_GROUP = 1_000
MIN_PASSPHRASE_LENGTH = 12  # as services.surveys.validate_passphrase
MAX_PASSPHRASE_LENGTH = 1024


class WholeNumber:
    """A whole number within a range, with our own wording (WTForms' IntegerField has its own)."""

    def __init__(self, minimum: int, maximum: int, missing: str, out_of_range: str) -> None:
        self.minimum, self.maximum = minimum, maximum
        self.missing, self.out_of_range = missing, out_of_range

    def __call__(self, form: Form, field: Field) -> None:
        number = typed_number(field.data)
        if number is None:
            raise StopValidation(self.missing)
        if not self.minimum <= number <= self.maximum:
            raise StopValidation(self.out_of_range)


def _number(field: Field) -> int:
    """A field's number, once :class:`WholeNumber` has passed it."""
    number = typed_number(field.data)
    assert number is not None, "read only after the form validated"
    return number


class NoControlCharacters:
    """Text without tabs, line breaks or invisible formatting marks (see
    ``survey_app.domain.characters``); the service checks the same."""

    def __init__(self, message: str) -> None:
        self.message = message

    def __call__(self, form: Form, field: Field) -> None:
        if has_control_characters((field.data or "").strip()):
            raise StopValidation(self.message)


class OneOf:
    """A radio answer that must be one of the values offered (the page draws the radios)."""

    def __init__(self, values: Sequence[str], message: str) -> None:
        self.values = frozenset(values)
        self.message = message

    def __call__(self, form: Form, field: Field) -> None:
        if field.data not in self.values:
            raise StopValidation(self.message)


class LoginForm(Form):  # type: ignore[misc]  # WTForms ships no type hints
    email = StringField(
        "Email address",
        validators=[
            InputRequired(messages.ENTER_EMAIL),
            Length(max=254, message=messages.WRONG_SIGN_IN),
        ],
    )
    password = PasswordField(
        "Password",
        validators=[
            InputRequired(messages.ENTER_PASSWORD),
            Length(max=1024, message=messages.WRONG_SIGN_IN),
        ],
    )


class CodeForm(Form):  # type: ignore[misc]
    code = StringField(
        "Code",
        validators=[
            InputRequired(messages.ENTER_CODE),
            Length(max=20, message=messages.ENTER_CODE),
        ],
    )


class ChangePasswordForm(Form):  # type: ignore[misc]
    """Change your own password. The current one is asked for unless a reset made the change
    compulsory (then the temporary password was just used to sign in)."""

    current_password = PasswordField(
        "Current password",
        validators=[Length(max=MAX_PASSWORD_LENGTH, message=messages.WRONG_CURRENT_PASSWORD)],
    )
    new_password = PasswordField(
        "New password",
        validators=[
            InputRequired(messages.ENTER_NEW_PASSWORD),
            Length(min=MIN_PASSWORD_LENGTH, message=messages.NEW_PASSWORD_TOO_SHORT),
            Length(max=MAX_PASSWORD_LENGTH, message=messages.NEW_PASSWORD_TOO_LONG),
        ],
    )
    confirm_password = PasswordField(
        "Confirm new password",
        validators=[EqualTo("new_password", message=messages.NEW_PASSWORDS_DIFFER)],
    )

    def __init__(self, formdata: Any, *, forced: bool) -> None:
        super().__init__(formdata=formdata)
        self.forced = forced

    def validate_current_password(self, field: Field) -> None:
        if not self.forced and not field.data:
            raise StopValidation(messages.ENTER_CURRENT_PASSWORD)


class SurveyForm(Form):  # type: ignore[misc]
    questionnaire = StringField("Questionnaire")
    title = StringField(
        "Title",
        validators=[
            InputRequired(messages.ENTER_TITLE),
            Length(max=200, message=messages.TITLE_TOO_LONG),
            NoControlCharacters(TITLE_CONTROL_CHARACTERS),
        ],
    )
    access = StringField("Who can answer", validators=[OneOf(ACCESS_MODES, messages.SELECT_ACCESS)])
    min_group = StringField(
        "Smallest group a report may show",
        validators=[
            WholeNumber(
                MIN_GROUP_FLOOR, MAX_MIN_GROUP, messages.ENTER_MIN_GROUP, messages.MIN_GROUP_RANGE
            )
        ],
    )
    key_label = StringField(
        "Label for the first key holder",
        validators=[
            InputRequired(messages.ENTER_KEY_LABEL),
            Length(max=80, message=messages.KEY_LABEL_TOO_LONG),
        ],
    )
    passphrase = PasswordField(
        "Passphrase",
        validators=[
            Length(min=12, max=1024, message=messages.PASSPHRASE_TOO_SHORT),
        ],
    )
    passphrase_confirm = PasswordField(
        "Passphrase again",
        validators=[EqualTo("passphrase", message=messages.PASSPHRASES_DIFFER)],
    )

    def __init__(self, formdata: Any, questionnaire_ids: Sequence[str], min_group: int) -> None:
        super().__init__(formdata=formdata, data={"min_group": str(min_group)})
        self.questionnaire_ids = frozenset(questionnaire_ids)

    def validate_questionnaire(self, field: Field) -> None:
        if field.data not in self.questionnaire_ids:
            raise StopValidation(messages.SELECT_QUESTIONNAIRE)

    @property
    def smallest_group(self) -> int:
        return _number(self.min_group)


class CeilingForm(Form):  # type: ignore[misc]
    per_minute = StringField(
        "Most responses a minute",
        validators=[
            WholeNumber(
                1,
                MOST_PER_MINUTE,
                messages.ENTER_PER_MINUTE,
                messages.PER_MINUTE_RANGE.format(maximum=f"{MOST_PER_MINUTE:,}"),
            )
        ],
    )

    @property
    def number(self) -> int:
        return _number(self.per_minute)


class SessionForm(Form):  # type: ignore[misc]
    title = StringField(
        "Session title",
        validators=[
            InputRequired(messages.ENTER_SESSION_TITLE),
            Length(max=200, message=messages.TITLE_TOO_LONG),
            NoControlCharacters(SESSION_TITLE_CONTROL_CHARACTERS),
        ],
    )
    held_on = StringField("Date")
    format = StringField(
        "Format", validators=[OneOf(tuple(FORMATS), messages.SELECT_SESSION_FORMAT)]
    )
    council = StringField("Council", validators=[Length(max=80, message=messages.COUNCIL_TOO_LONG)])
    facilitators = StringField(
        "Facilitators", validators=[Length(max=300, message=messages.FACILITATORS_TOO_LONG)]
    )
    minutes = StringField(
        "Minutes",
        validators=[
            WholeNumber(5, MOST_OPEN_MINUTES, messages.ENTER_MINUTES, messages.MINUTES_RANGE)
        ],
    )

    starts_at = StringField("Start automatically at")

    def validate_starts_at(self, field: Field) -> None:
        text = (field.data or "").strip()
        if text:
            try:
                dt.time.fromisoformat(text)
            except ValueError:
                raise StopValidation(messages.ENTER_START_TIME) from None

    def opens_at(self, zone: tzinfo) -> dt.datetime | None:
        """The scheduled start in UTC, from the date and local time typed (None: by hand)."""
        text = (self.starts_at.data or "").strip()
        if not text:
            return None
        local = dt.datetime.combine(self.day, dt.time.fromisoformat(text), tzinfo=zone)
        return local.astimezone(dt.UTC)

    def validate_held_on(self, field: Field) -> None:
        try:
            dt.date.fromisoformat((field.data or "").strip())
        except ValueError:
            raise StopValidation(messages.ENTER_SESSION_DATE) from None

    @property
    def day(self) -> dt.date:
        return dt.date.fromisoformat(self.held_on.data.strip())

    @property
    def number(self) -> int:
        return _number(self.minutes)


class CodesForm(Form):  # type: ignore[misc]
    count = StringField(
        "How many codes",
        validators=[
            WholeNumber(
                1,
                MAX_WEB_CODES,
                messages.ENTER_COUNT,
                messages.COUNT_RANGE.format(maximum=MAX_WEB_CODES),
            )
        ],
    )
    output = StringField(
        "How you want them", validators=[OneOf(("csv", "sheet"), messages.SELECT_FORMAT)]
    )

    @property
    def number(self) -> int:
        return _number(self.count)


class NextCycleForm(Form):  # type: ignore[misc]
    cycle = StringField(
        "The new cycle",
        validators=[
            InputRequired("Enter the new cycle, such as 2027-28"),
            Length(max=20, message="A cycle is at most 20 characters"),
        ],
    )
    title = StringField(
        "Title",
        validators=[
            Length(max=200, message=messages.TITLE_TOO_LONG),
            NoControlCharacters(TITLE_CONTROL_CHARACTERS),
        ],
    )
    slug = StringField(
        "Address", validators=[Length(max=80, message="An address is at most 80 characters")]
    )
    version = StringField("Questionnaire version")
    carry = StringField("Codebook")

    def __init__(self, formdata: Any, versions: Sequence[str], data: dict[str, str]) -> None:
        super().__init__(formdata=formdata, data=data)
        self.versions = frozenset(versions)

    def validate_version(self, field: Field) -> None:
        if field.data not in self.versions:
            raise StopValidation("Choose the questionnaire version for the new cycle")


class AcceptInvitationForm(Form):  # type: ignore[misc]
    label = StringField("Key holder")
    code = StringField(
        "Invitation code",
        validators=[
            InputRequired("Enter your invitation code"),
            Length(max=60, message="Enter the invitation code as it was given to you"),
        ],
    )
    passphrase = PasswordField(
        "New passphrase",
        validators=[Length(min=12, max=1024, message=messages.PASSPHRASE_TOO_SHORT)],
    )
    passphrase_confirm = PasswordField(
        "New passphrase again",
        validators=[EqualTo("passphrase", message=messages.PASSPHRASES_DIFFER)],
    )

    def __init__(self, formdata: Any, labels: Sequence[str]) -> None:
        super().__init__(formdata=formdata)
        self.labels = frozenset(labels)

    def validate_label(self, field: Field) -> None:
        if field.data not in self.labels:
            raise StopValidation("Choose the key holder you were invited as")


class NewUserForm(Form):  # type: ignore[misc]
    """An admin creates an account; Candour makes its temporary password."""

    email = StringField(
        "Email address",
        validators=[
            InputRequired(messages.ENTER_USER_EMAIL),
            Length(max=254, message=messages.USER_EMAIL_TOO_LONG),
        ],
    )
    role = StringField("Role", validators=[OneOf(ROLES, messages.SELECT_ROLE)])

    def validate_email(self, field: Field) -> None:
        if not field.data.strip():
            raise StopValidation(messages.ENTER_USER_EMAIL)


class RoleForm(Form):  # type: ignore[misc]
    role = StringField("Role", validators=[OneOf(ROLES, messages.SELECT_ROLE)])


class AddKeySlotForm(Form):  # type: ignore[misc]
    """A key holder adds another: their own passphrase opens the key the new slot wraps."""

    passphrase = PasswordField(
        "Your passphrase",
        validators=[
            InputRequired(messages.ENTER_YOUR_PASSPHRASE),
            Length(max=MAX_PASSPHRASE_LENGTH, message=messages.PASSPHRASE_TOO_LONG),
        ],
    )
    label = StringField(
        "Label for the new key holder",
        validators=[
            InputRequired(messages.ENTER_NEW_KEY_LABEL),
            Length(max=80, message=messages.KEY_LABEL_TOO_LONG),
        ],
    )
    new_passphrase = PasswordField(
        "The new key holder’s passphrase",
        validators=[
            Length(
                min=MIN_PASSPHRASE_LENGTH,
                max=MAX_PASSPHRASE_LENGTH,
                message=messages.PASSPHRASE_TOO_SHORT,
            )
        ],
    )
    new_passphrase_confirm = PasswordField(
        "The new passphrase again",
        validators=[EqualTo("new_passphrase", message=messages.PASSPHRASES_DIFFER)],
    )

    def validate_label(self, field: Field) -> None:
        if not (field.data or "").strip():
            raise StopValidation(messages.ENTER_NEW_KEY_LABEL)

    def validate_new_passphrase(self, field: Field) -> None:
        if field.data and field.data == self.passphrase.data:
            raise StopValidation(messages.NEW_PASSPHRASE_SAME)


class RemoveKeySlotForm(Form):  # type: ignore[misc]
    passphrase = PasswordField(
        "Passphrase of a key holder who is staying",
        validators=[
            InputRequired(messages.ENTER_STAYING_PASSPHRASE),
            Length(max=MAX_PASSPHRASE_LENGTH, message=messages.PASSPHRASE_TOO_LONG),
        ],
    )
