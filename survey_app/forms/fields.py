"""WTForms fields for each kind of answer, with our own parsing and messages.

The fields never trust the submitted values: a choice that was not offered, text over its
limit or a number out of range is an error shown on the page, never an exception.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from wtforms import Field, Form
from wtforms.validators import StopValidation, ValidationError

from survey_app.domain.model import Option
from survey_app.domain.numbers import whole_number
from survey_app.forms import messages

# Characters that have no place in an answer: control characters other than tab and newlines.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class AnswerField(Field):  # type: ignore[misc]  # WTForms ships no type hints
    """Base: ``question_text`` is used in messages; ``required`` stops on an empty answer."""

    data: Any

    def __init__(
        self,
        label: str = "",
        *,
        question_text: str,
        required: bool,
        required_message: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(label, **kwargs)
        self.question_text = question_text
        self.required = required
        self.required_message = required_message

    def is_empty(self) -> bool:
        return self.data in (None, "", [])

    def pre_validate(self, form: Form) -> None:
        if self.is_empty():
            if self.required:
                raise StopValidation(self.required_message)
            raise StopValidation()
        self.check(form)

    def check(self, form: Form) -> None:  # pragma: no cover - overridden
        """Validate a non-empty answer."""


class SingleChoiceField(AnswerField):
    def __init__(self, label: str = "", *, options: Sequence[Option], **kwargs: Any) -> None:
        super().__init__(label, **kwargs)
        self.options = tuple(options)

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = str(valuelist[0]) if valuelist and valuelist[0] != "" else None

    def process_data(self, value: Any) -> None:
        self.data = value if isinstance(value, str) else None

    def check(self, form: Form) -> None:
        if self.data not in {o.value for o in self.options}:
            raise ValidationError(messages.NOT_OFFERED.format(question=self.question_text))


class MultipleChoiceField(AnswerField):
    def __init__(self, label: str = "", *, options: Sequence[Option], **kwargs: Any) -> None:
        super().__init__(label, **kwargs)
        self.options = tuple(options)

    def process_formdata(self, valuelist: list[Any]) -> None:
        chosen: list[str] = []
        for value in valuelist:
            if isinstance(value, str) and value and value not in chosen:
                chosen.append(value)
        self.data = chosen

    def process_data(self, value: Any) -> None:
        self.data = [v for v in value if isinstance(v, str)] if isinstance(value, list) else []

    def check(self, form: Form) -> None:
        offered = {o.value: o for o in self.options}
        if any(value not in offered for value in self.data):
            raise ValidationError(messages.NOT_OFFERED.format(question=self.question_text))
        if len(self.data) > 1:
            for value in self.data:
                if offered[value].exclusive:
                    raise ValidationError(messages.EXCLUSIVE.format(option=offered[value].label))
        # Keep the questionnaire's order, whatever order the browser sent.
        self.data = [o.value for o in self.options if o.value in self.data]


class FreeTextField(AnswerField):
    def __init__(self, label: str = "", *, max_length: int, **kwargs: Any) -> None:
        super().__init__(label, **kwargs)
        self.max_length = max_length

    def process_formdata(self, valuelist: list[Any]) -> None:
        raw = str(valuelist[0]) if valuelist else ""
        text = _CONTROL.sub("", raw.replace("\r\n", "\n").replace("\r", "\n")).strip()
        self.data = text or None

    def process_data(self, value: Any) -> None:
        self.data = value if isinstance(value, str) else None

    def check(self, form: Form) -> None:
        length = len(self.data)
        if length > self.max_length:
            raise ValidationError(
                messages.TOO_LONG.format(
                    question=self.question_text, limit=self.max_length, length=length
                )
            )


class WholeNumberField(AnswerField):
    """Keeps what was typed (``raw``) so the page can show it again beside an error."""

    def __init__(self, label: str = "", *, minimum: int, maximum: int, **kwargs: Any) -> None:
        super().__init__(label, **kwargs)
        self.minimum = minimum
        self.maximum = maximum
        self.raw = ""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.raw = str(valuelist[0]).strip()[:200] if valuelist else ""
        self.data = self.raw.replace(",", "").replace(" ", "") or None

    def process_data(self, value: Any) -> None:
        if isinstance(value, int) and not isinstance(value, bool):
            self.raw = str(value)
            self.data = value
        else:
            self.raw, self.data = "", None

    def check(self, form: Form) -> None:
        if isinstance(self.data, str):
            number = whole_number(self.data, max_digits=12, signed=True)
            if number is None:
                raise ValidationError(
                    messages.WHOLE_NUMBER.format(
                        question=self.question_text, example=max(self.minimum, 0) + 5
                    )
                )
            self.data = number
        if not self.minimum <= self.data <= self.maximum:
            raise ValidationError(
                messages.NUMBER_RANGE.format(
                    question=self.question_text, minimum=self.minimum, maximum=self.maximum
                )
            )
