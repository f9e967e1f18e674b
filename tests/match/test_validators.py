"""The shared validators, each with values it must accept and values it must reject."""

from __future__ import annotations

import pytest

from leakguard.match.validators import random_letters, random_token


@pytest.mark.parametrize("value", [
    b"sq1OrNOR25790YL5ztgLyWNVNWxMoxr7",  # base62
    b"a3f9c2d1e4b5a6f7c8d9e0f1a2b3c4d5",  # hex
    b"Zt8-q2LmW_9xKp4",  # base64url
])
def test_random_token_accepts_generated_values(value: bytes) -> None:
    assert random_token(value)


@pytest.mark.parametrize("value", [
    b"MistralForSequenceClassification",  # transformers 4.47.1, beside the word "mistral"
    b"mistral_api_key_name",
    b"os.path.join",
    b"utf8Decoder",
    b"sha256_digest_value",
    b"getUserById",
    b"ABCDEFGHIJKLMNOPQRSTUVWX",
    b"handler2",
    b"Version10Client",
    b"abcdefabcdefabcdefabcdef",  # hex letters only: no digit
    b"short1",
])
def test_random_token_rejects_identifiers(value: bytes) -> None:
    assert not random_token(value)


@pytest.mark.parametrize("value", [
    b"mPwamXmGvYwhZNBUflLkRRoIKIzeEXOL",  # 32 random mixed-case letters (a Logz.io shipping token's shape)
    b"oCwtQDtWjDOMcHXHGGNrnRgkEMxCDuiO",
])
def test_random_letters_accepts_generated_letters(value: bytes) -> None:
    assert random_letters(value)


@pytest.mark.parametrize("value", [
    b"LogzioSenderConfigurationBuilder",  # a class name beside the word "logzio"
    b"logzioShippingTokenFromSettings",
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEF",  # one upper-case run
    b"abcdefghijklmnopqrstuvwxyzabcdef",  # lower case only
    b"mPwamXmGvYwhZNBU1lLkRRoIKIzeEXOL",  # a digit: not letters only
    b"mPwamXmGvYwh",  # too short
])
def test_random_letters_rejects_names(value: bytes) -> None:
    assert not random_letters(value)


@pytest.mark.parametrize("value", [
    b"PniRTlatxdcMJaikpsFq",  # a 20-character PagerDuty-shaped key without a digit (3 % of them)
    b"qXzTbWkRvNcLmHpYdSgF",
])
def test_random_token_accepts_digitless_random_values(value: bytes) -> None:
    assert random_token(value)


@pytest.mark.parametrize("value", [
    b"PagerDutyIncidentAPI",  # words: 40 % vowels
    b"CohereClientResponseHandler",
    b"qxztbwkrvnclmhpydsgf",  # one case only: no evidence either way, and no digit
])
def test_random_token_rejects_digitless_words(value: bytes) -> None:
    assert not random_token(value)


@pytest.mark.parametrize(("value", "random"), [
    (b"ZMBVNVN5LRHS86WR", True),  # a Confluent-shaped key: one case, long letter runs, few vowels
    (b"jyhuhfhylerbcuh6rlrxlqsasxnppifmczuhuivhvxk6g63kymlc", True),  # lower-case base32
    (b"CONFLUENTAPIKEY2", False),
    (b"confluentapikey2", False),
])
def test_random_token_single_case(value: bytes, random: bool) -> None:
    assert random_token(value) is random
