import base64
import hashlib
import hmac
import time

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from notifications.signing import headers, new_secret, sign, signature_header

BODY = b'{"type":"signal.created","timestamp":"2026-03-01T12:00:00Z","data":{"id":"sig_1"}}'
MSG_ID = "msg_2xYz0123456789"


def _expected(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    content = msg_id.encode() + b"." + str(timestamp).encode() + b"." + body
    return "v1," + base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()


def test_new_secret_is_prefixed_base64_of_32_random_bytes():
    secret = new_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 32
    assert len({new_secret() for _ in range(50)}) == 50


def test_sign_matches_the_standard_webhooks_example_vector():
    # The worked example from the Standard Webhooks specification.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == expected


def test_sign_matches_an_independent_hmac():
    secret = "whsec_" + base64.b64encode(bytes(range(32))).decode()
    assert sign(secret, MSG_ID, 1767225600, BODY) == _expected(secret, MSG_ID, 1767225600, BODY)


def test_signature_header_signs_once_per_secret_in_order():
    new, old = new_secret(), new_secret()
    header = signature_header([new, old], MSG_ID, 1767225600, BODY)
    assert header.split(" ") == [
        _expected(new, MSG_ID, 1767225600, BODY),
        _expected(old, MSG_ID, 1767225600, BODY),
    ]


def test_headers_carry_id_timestamp_signature_type_and_agent():
    secret = new_secret()
    result = headers([secret], MSG_ID, 1767225600, BODY)
    assert result == {
        "webhook-id": MSG_ID,
        "webhook-timestamp": "1767225600",
        "webhook-signature": _expected(secret, MSG_ID, 1767225600, BODY),
        "content-type": "application/json",
        "user-agent": "wijkdeel-webhooks/1",
    }


def test_standardwebhooks_verifies_a_single_secret():
    secret = new_secret()
    sent = headers([secret], MSG_ID, int(time.time()), BODY)
    assert Webhook(secret).verify(BODY, sent)["data"] == {"id": "sig_1"}


@pytest.mark.parametrize("receiver_has", ["new", "old"])
def test_standardwebhooks_verifies_either_secret_during_rotation(receiver_has):
    new, old = new_secret(), new_secret()
    sent = headers([new, old], MSG_ID, int(time.time()), BODY)
    Webhook(new if receiver_has == "new" else old).verify(BODY, sent)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda body, sent: (body.replace(b"sig_1", b"sig_2"), sent),
        lambda body, sent: (body, {**sent, "webhook-id": "msg_other"}),
        lambda body, sent: (body, {**sent, "webhook-timestamp": str(int(time.time()) - 1)}),
    ],
    ids=["body", "id", "timestamp"],
)
def test_standardwebhooks_rejects_tampering(tamper):
    secret = new_secret()
    sent = headers([secret], MSG_ID, int(time.time()), BODY)
    body, received = tamper(BODY, sent)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body, received)


def test_standardwebhooks_rejects_an_unrelated_secret():
    sent = headers([new_secret()], MSG_ID, int(time.time()), BODY)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(BODY, sent)


def test_a_bare_string_is_not_a_list_of_secrets():
    with pytest.raises(TypeError):
        signature_header(new_secret(), MSG_ID, 1, BODY)


def test_no_secrets_is_an_error():
    with pytest.raises(ValueError, match="at least one"):
        signature_header([], MSG_ID, 1, BODY)


@pytest.mark.parametrize(
    "secret", ["MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_not*base64!", "whsec_"]
)
def test_a_malformed_secret_is_refused_without_echoing_it(secret):
    with pytest.raises(ValueError) as raised:
        sign(secret, MSG_ID, 1, BODY)
    assert secret.removeprefix("whsec_") not in str(raised.value) or secret == "whsec_"


@pytest.mark.parametrize("msg_id", ["", "msg 1", "msg\r\nx-evil: 1", "msg_é"])
def test_a_webhook_id_that_cannot_travel_in_a_header_is_refused(msg_id):
    with pytest.raises(ValueError, match="webhook id"):
        sign(new_secret(), msg_id, 1, BODY)


@pytest.mark.parametrize("timestamp", [-1, True, 1.5])
def test_a_timestamp_must_be_whole_unix_seconds(timestamp):
    with pytest.raises(ValueError, match="timestamp"):
        sign(new_secret(), MSG_ID, timestamp, BODY)
