"""Pure cryptography for Candour: no Flask, no configuration lookups, no logging.

Keys and secrets are always passed in as arguments. Only storage and services should call this
package. See the module docstrings for the byte formats:

- `sealing`: responses sealed to a survey's X25519 public key (ephemeral ECDH + AES-256-GCM),
  and re-sealed in an outer layer when the survey closes.
- `keywrap`: survey private keys wrapped under key holders' passphrases (scrypt + AES-256-GCM).
- `codes`: single-use access codes and their HMAC-SHA256 digests.
- `tokens`: single-use respondent tokens (held in the draft) and the digests kept once spent.
- `datakeys`: the server's rotating AES-256-GCM keyring for data it must read itself.
"""

from survey_app.crypto.codes import (
    access_code_digest,
    generate_access_code,
    generate_invitation_code,
    normalise_access_code,
    normalise_invitation_code,
)
from survey_app.crypto.datakeys import Keyring, generate_key_spec
from survey_app.crypto.errors import CryptoError, DecryptError, OpenError, WrongPassphraseError
from survey_app.crypto.keywrap import (
    DEFAULT_LOG2_N,
    MIN_LOG2_N,
    unwrap_private_key,
    wrap_private_key,
    wrapped_log2_n,
)
from survey_app.crypto.sealing import (
    PAD_BUCKET,
    KeyPair,
    generate_survey_keypair,
    key_id,
    open_envelope,
    reseal,
    seal,
)
from survey_app.crypto.tokens import new_respondent_token, spent_token_digest

__all__ = [
    "DEFAULT_LOG2_N",
    "MIN_LOG2_N",
    "PAD_BUCKET",
    "CryptoError",
    "DecryptError",
    "KeyPair",
    "Keyring",
    "OpenError",
    "WrongPassphraseError",
    "access_code_digest",
    "generate_access_code",
    "generate_invitation_code",
    "generate_key_spec",
    "generate_survey_keypair",
    "key_id",
    "new_respondent_token",
    "normalise_access_code",
    "normalise_invitation_code",
    "open_envelope",
    "reseal",
    "seal",
    "spent_token_digest",
    "unwrap_private_key",
    "wrap_private_key",
    "wrapped_log2_n",
]
