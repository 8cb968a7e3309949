"""A survey's key holders on the web: list its key slots, add one and remove one.

Admins and the analysts assigned to a survey (or series) hold its keys, as on the analysis
pages. Adding a key holder needs an existing holder's passphrase (it opens the private key the
new slot wraps under the new passphrase); removing one needs the passphrase of a holder who
stays, and the last slot always stays. The same changes are ``flask keys add-slot`` and
``flask keys remove-slot`` at the command line, and go to the audit log the same way.

A wrong passphrase is refused with a 400, audited, and counts towards the passphrase limit the
analysis pages share. The worker that took a passphrase retires once it has answered
(``web.retiring``); passphrases are never shown back, logged or kept.
"""

from __future__ import annotations

from flask import abort, current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from survey_app.extensions import get_db
from survey_app.forms.registry import ErrorLink, error_links
from survey_app.services import audit as audit_log
from survey_app.services import keys
from survey_app.services.errors import ServiceError
from survey_app.services.keys import PassphraseRefused, SlotInfo
from survey_app.services.surveys import SurveyInfo
from survey_app.web import retiring
from survey_app.web.staff import bp
from survey_app.web.staff.access import current_staff, roles_required
from survey_app.web.staff.analysis import WRONG_PASSPHRASE_STATUS, passphrase_limit
from survey_app.web.staff.forms import AddKeySlotForm, RemoveKeySlotForm
from survey_app.web.staff.surveys import WORKERS, _survey_for

REFUSED = "refused: wrong passphrase"
# Where the remove page's error summary points when the slot is the last one (no form then).
LAST_SLOT = "#last-slot"

Page = Response | str | tuple[str, int]


@bp.get("/surveys/<slug>/keys")
@roles_required(*WORKERS)
def key_holders(slug: str) -> str:
    info = _survey_for(slug)
    return render_template(
        "staff/keys.html",
        survey=info,
        slots=keys.list_slots(get_db(), info.slug),
        notice=request.args.get("done"),
    )


@bp.route("/surveys/<slug>/keys/add", methods=["GET", "POST"])
@roles_required(*WORKERS)
@passphrase_limit
def add_key_holder(slug: str) -> Page:
    info = _survey_for(slug)
    if info.shredded_on is not None:  # its key slots are gone: the list page says so
        return redirect(url_for("staff.key_holders", slug=info.slug), code=303)
    posted = request.method == "POST"
    form = AddKeySlotForm(request.form if posted else None)
    errors = error_links(form) if posted and not form.validate() else []
    if posted and not errors:
        retiring.after_this_request()  # this process has held two passphrases and the key
        try:
            added = keys.add_slot(
                get_db(),
                info.slug,
                passphrase=form.passphrase.data,
                label=form.label.data,
                new_passphrase=form.new_passphrase.data,
                log2_n=int(current_app.config["SURVEY_SCRYPT_LOG2_N"]),
            )
        except PassphraseRefused as error:
            values = {"survey": info, "form": form}
            return _refused("staff/key_add.html", "key_slot_added", error, values)
        except ServiceError as error:  # the label is taken, or not a label at all
            errors = [ErrorLink("#label", str(error))]
        else:
            _audit(info, "key_slot_added", f"label {added.label}")
            return redirect(url_for("staff.key_holders", slug=info.slug, done="added"), code=303)
    return render_template("staff/key_add.html", survey=info, form=form, errors=errors)


@bp.route("/surveys/<slug>/keys/remove", methods=["GET", "POST"])
@roles_required(*WORKERS)
@passphrase_limit
def remove_key_holder(slug: str) -> Page:
    """A page of its own that asks first, with the passphrase of a key holder who stays."""
    info = _survey_for(slug)
    slots = keys.list_slots(get_db(), info.slug)
    slot = next((s for s in slots if s.label == request.values.get("label")), None)
    if slot is None:
        abort(404)
    posted = request.method == "POST"
    form = RemoveKeySlotForm(request.form if posted else None)
    values = {"survey": info, "slot": slot, "last": _is_last(slot, slots), "form": form}
    if posted and values["last"]:
        return _remove_page(values, [ErrorLink(LAST_SLOT, keys.LAST_SLOT)], 409)
    errors = error_links(form) if posted and not form.validate() else []
    if posted and not errors:
        retiring.after_this_request()  # this process has held a passphrase and the key
        try:
            keys.remove_slot(
                get_db(),
                info.slug,
                passphrase=form.passphrase.data,
                label=slot.label,
                staying_holder=True,
            )
        except PassphraseRefused as error:
            return _refused("staff/key_remove.html", "key_slot_removed", error, values)
        except ServiceError as error:  # removed, or made the last, a moment ago
            return _remove_page(values, [ErrorLink("#passphrase", str(error))], 409)
        _audit(info, "key_slot_removed", f"label {slot.label}")
        return redirect(url_for("staff.key_holders", slug=info.slug, done="removed"), code=303)
    return _remove_page(values, errors)


def _is_last(slot: SlotInfo, slots: list[SlotInfo]) -> bool:
    """The only slot a passphrase opens (invitations not yet accepted open nothing)."""
    return not slot.invitation and sum(not s.invitation for s in slots) == 1


def _remove_page(values: dict[str, object], errors: list[ErrorLink], status: int = 200) -> Page:
    return render_template("staff/key_remove.html", errors=errors, **values), status


def _refused(
    template: str, action: str, error: PassphraseRefused, values: dict[str, object]
) -> tuple[str, int]:
    """A wrong passphrase: audited, and a 400, which the passphrase limit counts."""
    info = values["survey"]
    assert isinstance(info, SurveyInfo)
    _audit(info, action, REFUSED)
    errors = [ErrorLink("#passphrase", str(error))]
    return render_template(template, errors=errors, **values), WRONG_PASSPHRASE_STATUS


def _audit(info: SurveyInfo, action: str, detail: str) -> None:
    audit_log.record(get_db(), current_staff().email, action, info.slug, detail)
