"""Every message a member of staff can see on the staff pages' forms, in one place.

GOV.UK voice: say what to do ("Select…", "Enter…"), short, no blame, no jargon.
"""

from __future__ import annotations

ENTER_EMAIL = "Enter your email address"
ENTER_PASSWORD = "Enter your password"  # noqa: S105 - a message, not a password
WRONG_SIGN_IN = "Enter a correct email address and password"
ENTER_CODE = "Enter the 6-digit code from your authenticator app"
WRONG_CODE = (
    "Enter the code your authenticator app shows now. Each code works once: if you have just "
    "used one, wait for the next"
)

SELECT_QUESTIONNAIRE = "Select a questionnaire"
ENTER_TITLE = "Enter a title"
TITLE_TOO_LONG = "The title must be 200 characters or fewer"
SELECT_ACCESS = "Select who can answer the survey"
ENTER_MIN_GROUP = "Enter the smallest group a report may show, as a whole number"
MIN_GROUP_RANGE = "Enter a smallest group between 5 and 1,000"
ENTER_KEY_LABEL = "Enter a label for the first key holder, like their role"
KEY_LABEL_TOO_LONG = "The key holder label must be 80 characters or fewer"
PASSPHRASE_TOO_SHORT = "Enter a passphrase of at least 12 characters"  # noqa: S105
PASSPHRASES_DIFFER = "Enter the same passphrase twice"

ENTER_COUNT = "Enter how many codes to make, as a whole number"
COUNT_RANGE = "Enter a number of codes between 1 and {maximum:,}"
ENTER_PER_MINUTE = "Enter the most responses a minute, as a whole number"
PER_MINUTE_RANGE = "Enter a number of responses a minute between 1 and {maximum}"
SELECT_FORMAT = "Select how you want the codes"

ENTER_CURRENT_PASSWORD = "Enter your current password"  # noqa: S105
WRONG_CURRENT_PASSWORD = "Enter your current password correctly"  # noqa: S105
ENTER_NEW_PASSWORD = "Enter a new password"  # noqa: S105
NEW_PASSWORD_TOO_SHORT = "Enter a new password of at least 12 characters"  # noqa: S105
NEW_PASSWORD_TOO_LONG = "Enter a new password of 1,024 characters or fewer"  # noqa: S105
NEW_PASSWORDS_DIFFER = "Enter the same new password twice"
ENTER_SESSION_TITLE = "Enter the session's title"
ENTER_SESSION_DATE = "Enter the date of the session, for example 2026-12-10"
SELECT_SESSION_FORMAT = "Select whether the session is in person or online"
COUNCIL_TOO_LONG = "Enter a council name of 80 characters or fewer"
FACILITATORS_TOO_LONG = "Enter the facilitators' names in 300 characters or fewer"
ENTER_MINUTES = "Enter how many minutes the form stays open, as a whole number"
MINUTES_RANGE = "Enter a number of minutes from 5 to 10,080 (7 days)"
ENTER_START_TIME = "Enter the start time as hours and minutes, for example 15:55"
START_HAS_PASSED = (
    "That start time has passed: choose a later one, or leave it empty and press Start"
)

# Staff accounts, from the users pages.
ENTER_USER_EMAIL = "Enter their email address"
USER_EMAIL_TOO_LONG = "Enter an email address of 254 characters or fewer"
SELECT_ROLE = "Select a role"
SELECT_ASSIGNMENT = "Select a survey or series to give them"

# Key holders, from a survey's key holders pages.
ENTER_YOUR_PASSPHRASE = "Enter your passphrase"  # noqa: S105 - a message, not a passphrase
ENTER_STAYING_PASSPHRASE = "Enter the passphrase of a key holder who is staying"  # noqa: S105
PASSPHRASE_TOO_LONG = "Enter a passphrase of 1,024 characters or fewer"  # noqa: S105
ENTER_NEW_KEY_LABEL = "Enter a label for the new key holder, like their role"
NEW_PASSPHRASE_SAME = "Enter a passphrase for the new key holder that differs from yours"  # noqa: S105
