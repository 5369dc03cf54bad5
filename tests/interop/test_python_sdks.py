"""Published Python Plex SDKs, unchanged, signing in against plex-pin-emulator.

Run by scripts/interop-tests, which starts the emulator and sets PLEX_PIN_EMULATOR_URL.
Each SDK is pointed at the emulator the way its own API allows (a class attribute, a
server_url argument); its sign-in code runs as published. Where an SDK fails for a bug of
its own, the test says so by name instead of being skipped.
"""

import json
import os
import unittest
import urllib.error
import urllib.parse
import urllib.request
import uuid

EMULATOR = os.environ["PLEX_PIN_EMULATOR_URL"]


def control(route, **fields):
    """POSTs to one of the emulator's control routes (JSON, as they require)."""
    request = urllib.request.Request(
        f"{EMULATOR}/emulator/{route}",
        data=json.dumps(fields).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"null")


def account(token):
    """The emulator's answer to /api/v2/user for `token`: (status, JSON or None)."""
    request = urllib.request.Request(
        f"{EMULATOR}/api/v2/user",
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
        return error.code, None


def code_from(url):
    """The `code` parameter of an Auth App URL (`…/auth/#!?…&code=…`)."""
    fragment = url.split("#", 1)[1].lstrip("!?")
    return urllib.parse.parse_qs(fragment)["code"][0]


def headers(client_id):
    return {"X-Plex-Client-Identifier": client_id, "X-Plex-Product": "plex-pin interop"}


class PythonPlexApi(unittest.TestCase):
    """python-plexapi 4.18 (pip `plexapi`): MyPlexPinLogin, MyPlexJWTLogin, MyPlexAccount."""

    @classmethod
    def setUpClass(cls):
        from plexapi import myplex

        cls.myplex = myplex
        # The SDK's own switch for its endpoints: class attributes.
        myplex.MyPlexPinLogin.PINS = f"{EMULATOR}/api/v2/pins"
        myplex.MyPlexJWTLogin.PINS = f"{EMULATOR}/api/v2/pins"
        myplex.MyPlexJWTLogin.AUTH = f"{EMULATOR}/api/v2/auth"
        myplex.MyPlexAccount.key = f"{EMULATOR}/api/v2/user"

    def test_oauth_pin_login_then_account(self):
        login = self.myplex.MyPlexPinLogin(oauth=True, headers=headers(str(uuid.uuid4())))
        code = code_from(login.oauthUrl())
        self.assertEqual(len(code), 25, "strong=True asks for a strong code")
        login.run(timeout=20)
        control("approve", code=code)
        self.assertTrue(login.waitForLogin())
        status, user = account(login.token)
        self.assertEqual((status, user["username"]), (200, "emulated-user"))
        me = self.myplex.MyPlexAccount(token=login.token)
        self.assertEqual(me.username, "emulated-user")
        self.assertEqual(me.email, "emulated-user@example.invalid")

    def test_link_code_login(self):
        login = self.myplex.MyPlexPinLogin(headers=headers(str(uuid.uuid4())))
        code = login.pin
        self.assertEqual(len(code), 4)
        login.run(timeout=20)
        control("approve", code=code, link="1")
        self.assertTrue(login.waitForLogin())
        self.assertEqual(account(login.token)[0], 200)

    def test_a_denied_pin_ends_as_expired(self):
        login = self.myplex.MyPlexPinLogin(oauth=True, headers=headers(str(uuid.uuid4())))
        code = code_from(login.oauthUrl())
        login.run(timeout=20)
        control("deny", code=code)
        self.assertFalse(login.waitForLogin())
        self.assertTrue(login.expired, "the SDK reads 404/1020 as expired")

    def test_jwt_login_verify_and_refresh(self):
        login = self.myplex.MyPlexJWTLogin(oauth=True, headers=headers(str(uuid.uuid4())))
        login.generateKeypair()
        login.run(timeout=20)
        control("approve", code=code_from(login.oauthUrl()))
        self.assertTrue(login.waitForLogin())
        self.assertTrue(login.verifyJWT(), "the Plex JWT's thumbprint is the registered kid")
        self.assertEqual(account(login.jwtToken)[0], 200)
        first = login.jwtToken
        renewed = login.refreshJWT()
        self.assertNotEqual(renewed, first)
        self.assertTrue(login.verifyJWT())
        self.assertEqual(account(renewed)[0], 200)


class PlexApiClient(unittest.TestCase):
    """plex-api-client 0.30.0 (the seed's Python SDK, LukeHagar/plexpy): get_pin and
    get_token_by_pin_id, pointed at the emulator with their `server_url` argument.

    0.30.0 is the last release with the pin calls (the October 2025 spec overhaul dropped
    them). Its get_pin accepts plex.tv's 201 (the 200-only bug, plexpy issue #6, was fixed
    in 2024), so the SDK creates its own pin here.
    """

    @classmethod
    def setUpClass(cls):
        from plex_api_client import PlexAPI
        from plex_api_client.models import errors

        cls.sdk = PlexAPI()
        cls.errors = errors
        cls.server = f"{EMULATOR}/api/v2"

    def test_get_pin_then_token_by_pin_id_after_approval(self):
        client_id = str(uuid.uuid4())
        created = self.sdk.plex.get_pin(
            request={"client_id": client_id, "client_name": "plex-pin interop", "strong": True},
            server_url=self.server,
        )
        self.assertEqual(created.status_code, 201)
        pin = created.auth_pin_container
        self.assertEqual(len(pin.code), 25)
        request = {"pin_id": pin.id, "client_id": client_id, "client_name": "plex-pin interop"}
        waiting = self.sdk.plex.get_token_by_pin_id(request=request, server_url=self.server)
        self.assertIsNone(waiting.auth_pin_container.auth_token)
        control("approve", id=pin.id)
        approved = self.sdk.plex.get_token_by_pin_id(request=request, server_url=self.server)
        token = approved.auth_pin_container.auth_token
        self.assertEqual(account(token)[0], 200)

    def test_an_unknown_pin_is_its_404_error(self):
        request = {"pin_id": 1, "client_id": str(uuid.uuid4()), "client_name": "plex-pin interop"}
        with self.assertRaises(self.errors.GetTokenByPinIDResponseBody) as raised:
            self.sdk.plex.get_token_by_pin_id(request=request, server_url=self.server)
        self.assertEqual(raised.exception.raw_response.status_code, 404)


if __name__ == "__main__":
    unittest.main(verbosity=2)
