from plexapi.myplex import MyPlexJWTLogin, MyPlexPinLogin


def test_plexapi_signs_in(plex_emulator, monkeypatch):
    for login_class in (MyPlexPinLogin, MyPlexJWTLogin):  # python-plexapi's own switch
        monkeypatch.setattr(login_class, "PINS", f"{plex_emulator.url}/api/v2/pins")
    monkeypatch.setattr(MyPlexJWTLogin, "AUTH", f"{plex_emulator.url}/api/v2/auth")
    login = MyPlexPinLogin()
    plex_emulator.approve(login.pin, link=True)
    assert login.checkLogin() and login.token
    jwt_login = MyPlexJWTLogin()
    jwt_login.generateKeypair()
    jwt_login.run(timeout=10)
    plex_emulator.approve(jwt_login.pin, link=True)
    assert jwt_login.waitForLogin() and jwt_login.verifyJWT()
