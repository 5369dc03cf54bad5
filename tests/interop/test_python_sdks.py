"""Published Python Plex SDKs, unchanged, signing in against plex-pin-emulator.

Run by scripts/interop-tests with pytest and the `plex_emulator` fixture of the
plex-pin-emulator Python package (packaging/python), which starts an emulator for each
test. Each SDK is pointed at the emulator the way its own API allows (a class attribute, a
server_url argument); its sign-in code runs as published. Where an SDK fails for a bug of
its own, the test says so by name instead of being skipped.
"""

import json
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest


def account(emulator, token):
    """The emulator's answer to /api/v2/user for `token`: (status, JSON or None)."""
    request = urllib.request.Request(
        f"{emulator.url}/api/v2/user",
        headers={
            "Accept": "application/json",
            "X-Plex-Client-Identifier": "interop-checker",
            "X-Plex-Product": "interop",
            "X-Plex-Token": token,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, None


def code_from(url):
    """The `code` parameter of an Auth App URL (`…/auth/#!?…&code=…`)."""
    fragment = url.split("#", 1)[1].lstrip("!?")
    return urllib.parse.parse_qs(fragment)["code"][0]


def headers():
    return {"X-Plex-Client-Identifier": str(uuid.uuid4()), "X-Plex-Product": "plex-pin interop"}


# python-plexapi 4.18 (pip `plexapi`): MyPlexPinLogin, MyPlexJWTLogin, MyPlexAccount.


@pytest.fixture
def myplex(plex_emulator, monkeypatch):
    """python-plexapi's `myplex` module, its endpoints (class attributes) on the emulator."""
    from plexapi import myplex

    url = plex_emulator.url
    monkeypatch.setattr(myplex.MyPlexPinLogin, "PINS", f"{url}/api/v2/pins")
    monkeypatch.setattr(myplex.MyPlexJWTLogin, "PINS", f"{url}/api/v2/pins")
    monkeypatch.setattr(myplex.MyPlexJWTLogin, "AUTH", f"{url}/api/v2/auth")
    monkeypatch.setattr(myplex.MyPlexAccount, "key", f"{url}/api/v2/user")
    return myplex


def test_plexapi_oauth_pin_login_then_account(plex_emulator, myplex):
    login = myplex.MyPlexPinLogin(oauth=True, headers=headers())
    code = code_from(login.oauthUrl())
    assert len(code) == 25, "strong=True asks for a strong code"
    login.run(timeout=20)
    plex_emulator.approve(code)
    assert login.waitForLogin()
    status, user = account(plex_emulator, login.token)
    assert (status, user["username"]) == (200, "emulated-user")
    me = myplex.MyPlexAccount(token=login.token)
    assert (me.username, me.email) == ("emulated-user", "emulated-user@example.invalid")


def test_plexapi_link_code_login(plex_emulator, myplex):
    login = myplex.MyPlexPinLogin(headers=headers())
    code = login.pin
    assert len(code) == 4
    login.run(timeout=20)
    plex_emulator.approve(code, link=True)
    assert login.waitForLogin()
    assert account(plex_emulator, login.token)[0] == 200


def test_plexapi_a_denied_pin_ends_as_expired(plex_emulator, myplex):
    login = myplex.MyPlexPinLogin(oauth=True, headers=headers())
    code = code_from(login.oauthUrl())
    login.run(timeout=20)
    plex_emulator.deny(code)
    assert not login.waitForLogin()
    assert login.expired, "the SDK reads 404/1020 as expired"


def test_plexapi_jwt_login_verify_and_refresh(plex_emulator, myplex):
    login = myplex.MyPlexJWTLogin(oauth=True, headers=headers())
    login.generateKeypair()
    login.run(timeout=20)
    plex_emulator.approve(code_from(login.oauthUrl()))
    assert login.waitForLogin()
    assert login.verifyJWT(), "the Plex JWT's thumbprint is the registered kid"
    assert account(plex_emulator, login.jwtToken)[0] == 200
    first = login.jwtToken
    renewed = login.refreshJWT()
    assert renewed != first
    assert login.verifyJWT()
    assert account(plex_emulator, renewed)[0] == 200


# plex-api-client 0.30.0 (the seed's Python SDK, LukeHagar/plexpy): get_pin and
# get_token_by_pin_id, pointed at the emulator with their `server_url` argument.
#
# 0.30.0 is the last release with the pin calls (the October 2025 spec overhaul dropped
# them). Its get_pin accepts plex.tv's 201 (the 200-only bug, plexpy issue #6, was fixed in
# 2024), so the SDK creates its own pin here.


@pytest.fixture
def plex_api_client():
    from plex_api_client import PlexAPI

    return PlexAPI()


def test_plex_api_client_get_pin_then_token_by_pin_id_after_approval(plex_emulator, plex_api_client):
    server = f"{plex_emulator.url}/api/v2"
    client_id = str(uuid.uuid4())
    created = plex_api_client.plex.get_pin(
        request={"client_id": client_id, "client_name": "plex-pin interop", "strong": True},
        server_url=server,
    )
    assert created.status_code == 201
    pin = created.auth_pin_container
    assert len(pin.code) == 25
    request = {"pin_id": pin.id, "client_id": client_id, "client_name": "plex-pin interop"}
    waiting = plex_api_client.plex.get_token_by_pin_id(request=request, server_url=server)
    assert waiting.auth_pin_container.auth_token is None
    plex_emulator.approve(pin.id)
    approved = plex_api_client.plex.get_token_by_pin_id(request=request, server_url=server)
    assert account(plex_emulator, approved.auth_pin_container.auth_token)[0] == 200


def test_plex_api_client_an_unknown_pin_is_its_404_error(plex_emulator, plex_api_client):
    from plex_api_client.models import errors

    request = {"pin_id": 1, "client_id": str(uuid.uuid4()), "client_name": "plex-pin interop"}
    with pytest.raises(errors.GetTokenByPinIDResponseBody) as raised:
        plex_api_client.plex.get_token_by_pin_id(request=request, server_url=f"{plex_emulator.url}/api/v2")
    assert raised.value.raw_response.status_code == 404
