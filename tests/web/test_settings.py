"""Settings from the environment: safe defaults, and a refusal naming the variable for every bad value."""

from __future__ import annotations

import pytest

from dermtrial.web import Settings, SettingsError

GOOD_SECRET = "k" * 16 + "0123456789abcdef"


def test_defaults_are_the_safe_ones() -> None:
    settings = Settings.from_env({"DERMTRIAL_SECRET_KEY": GOOD_SECRET})
    assert settings.cookie_secure is True
    assert settings.allowed_hosts == ("127.0.0.1", "localhost")
    assert (settings.idle_minutes, settings.demo) == (15, False)
    assert settings.database_url == "sqlite:///dermtrial.db"


def test_db_option_wins_over_the_environment() -> None:
    env = {"DERMTRIAL_SECRET_KEY": GOOD_SECRET, "DERMTRIAL_DATABASE_URL": "sqlite:///env.db"}
    assert Settings.from_env(env).database_url == "sqlite:///env.db"
    assert Settings.from_env(env, database_url="sqlite:///option.db").database_url == "sqlite:///option.db"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "DERMTRIAL_SECRET_KEY is not set"),  # no secret outside demo mode
        ({"DERMTRIAL_SECRET_KEY": "changeme"}, 'DERMTRIAL_SECRET_KEY="changeme" is a placeholder'),
        ({"DERMTRIAL_SECRET_KEY": "k" * 31}, "DERMTRIAL_SECRET_KEY has 31 characters; at least 32"),  # one short
        ({"DERMTRIAL_SECRET_KEY": GOOD_SECRET, "DERMTRIAL_COOKIE_SECURE": "maybe"}, 'DERMTRIAL_COOKIE_SECURE="maybe"'),
        (
            {"DERMTRIAL_SECRET_KEY": GOOD_SECRET, "DERMTRIAL_IDLE_MINUTES": "0"},
            "DERMTRIAL_IDLE_MINUTES=0 is not allowed: 1–480",
        ),
        ({"DERMTRIAL_SECRET_KEY": GOOD_SECRET, "DERMTRIAL_IDLE_MINUTES": "481"}, "DERMTRIAL_IDLE_MINUTES=481"),
        ({"DERMTRIAL_SECRET_KEY": GOOD_SECRET, "DERMTRIAL_IDLE_MINUTES": "ten"}, 'DERMTRIAL_IDLE_MINUTES="ten"'),
        ({"DERMTRIAL_DEMO": "sometimes"}, 'DERMTRIAL_DEMO="sometimes"'),
    ],
)
def test_a_bad_setting_is_refused_naming_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message.replace("(", r"\(")):
        Settings.from_env(env)


def test_idle_minutes_edges_1_and_480_are_allowed() -> None:
    for minutes in ("1", "480"):
        env = {"DERMTRIAL_SECRET_KEY": GOOD_SECRET, "DERMTRIAL_IDLE_MINUTES": minutes}
        assert Settings.from_env(env).idle_minutes == int(minutes)


def test_a_32_character_secret_is_enough() -> None:
    assert Settings.from_env({"DERMTRIAL_SECRET_KEY": "k" * 32}).secret_key == "k" * 32


def test_demo_mode_makes_a_random_secret_and_plain_http_cookies() -> None:
    first = Settings.from_env({"DERMTRIAL_DEMO": "true"})
    second = Settings.from_env({"DERMTRIAL_DEMO": "true"})
    assert first.demo
    assert not first.cookie_secure
    assert len(first.secret_key) >= 32
    assert first.secret_key != second.secret_key


def test_allowed_hosts_are_a_comma_separated_list() -> None:
    env = {"DERMTRIAL_SECRET_KEY": GOOD_SECRET, "DERMTRIAL_ALLOWED_HOSTS": " ecrf.example.org, 10.0.0.5 ,"}
    assert Settings.from_env(env).allowed_hosts == ("ecrf.example.org", "10.0.0.5")
