//! What plex.tv does, as far as public sources tell, and which of it this crate relies on.
//!
//! A reference, not code: the crate's protocol decisions rest on the rules here, and the
//! code names a section where a rule is not obvious (the JWT flow, expiry, rate limits). Each
//! rule names its source: **\[doc\]** Plex's own developer text (the forum guide
//! "Authenticating with Plex", developer.plex.tv); **\[spec\]** the community OpenAPI spec
//! (LukeHagar/plex-api-spec, its last files with the pin endpoints, October 2025);
//! **\[code: x\]** what the published client x does (python-plexapi 4.18, python-plexauth,
//! the generated plexjs / plexpy / plexcsharp SDKs, plex-api.rs, clambin/mediaclients);
//! **\[seen\]** behaviour reported in issues and logs (Ombi, seerr, Home Assistant, plexio);
//! **\[inferred\]** a conclusion none of those states. Nothing here was tested against
//! plex.tv itself.
//!
//! # Endpoints
//!
//! | call | method and path | success | crate |
//! |---|---|---|---|
//! | create a pin ("GetPin") | `POST /api/v2/pins` (`?strong=true` for the Auth App) | **201**, the pin \[spec; code: plex-api.rs, clambin\] | [`request::create_pin`](crate::request::create_pin) |
//! | poll it ("GetTokenByPinId") | `GET /api/v2/pins/{id}` | 200, the pin; `authToken` null until approved \[spec; doc\] | [`request::check_pin`](crate::request::check_pin) |
//! | link a 4-character code | `PUT /api/v2/pins/link`, form `code=…`, `X-Plex-Token` of the approving user | 204 \[code: python-plexapi, plex-api.rs\] | [`request::link_pin`](crate::request::link_pin) |
//! | check a token | `GET /api/v2/user` with `X-Plex-Token` | 200 the account; 401 invalid; 422 XML "Invalid token" for a revoked one \[doc; seen: python-plexapi #1138\] | [`request::user`](crate::request::user) |
//! | JWT: register a device key | `POST /api/v2/auth/jwk` with a token | 201 \[doc; code: clambin\] | `request::register_key` (feature `jwt`) |
//! | JWT: a nonce | `GET /api/v2/auth/nonce` | 200 `{"nonce":…}`, single use, 5 minutes \[doc\] | `request::nonce` |
//! | JWT: exchange a device JWT | `POST /api/v2/auth/token`, `{"jwt":…}` | 200 `{"auth_token":…}` \[doc\] | `request::exchange_jwt` |
//! | JWT: Plex's public keys | `GET /api/v2/auth/keys` | 200 `{"keys":[…]}`, several \[code: python-plexapi #1577\] | `request::plex_keys` |
//!
//! Hosts: `https://plex.tv` for the legacy flow ([`PLEX_TV`](crate::PLEX_TV)),
//! `https://clients.plex.tv` where Plex documents the JWT flow
//! ([`CLIENTS_PLEX_TV`](crate::CLIENTS_PLEX_TV)); both serve `/api/v2/pins` \[doc; code:
//! python-plexapi\]. `strong` goes in the query \[doc; spec\]; the JWT sign-in sends
//! `{"strong":true,"jwk":…}` as a JSON body \[code: python-plexapi\].
//!
//! # Headers
//!
//! - `X-Plex-Client-Identifier`: **required**, one stable value per installation, the same
//!   for creating and polling a pin. Missing: 400, code 1000 \[spec; seen: plexpy #7\].
//!   Another value when polling: 404/1020, as if the pin did not exist \[seen: Ombi PR #5265,
//!   seerr PR #2746\].
//! - `X-Plex-Product`: required in practice; without it polls answered 404 in 2019 \[seen:
//!   Ombi #3072; spec PR #25\]. Unconfirmed since; the crate always sends it.
//! - `X-Plex-Version`, `-Platform`, `-Platform-Version`, `-Device`, `-Device-Name`
//!   (non-ASCII as UTF-8), `-Model`: optional; shown in the user's Authorized Devices \[doc\].
//! - Every `X-Plex-*` value may also be a query argument or a form field \[doc; code:
//!   python-plexauth\]. The crate sends headers.
//! - `Accept: application/json`: without it plex.tv answers XML \[doc\]. Error bodies come in
//!   both formats whatever was asked \[seen: python-plexapi #1138\].
//! - `Origin`, on creation, when a `forwardUrl` is used: plex.tv checks the forward URL's
//!   host against it (since November 2020) \[seen: Home Assistant #43081, plexio PR #10\].
//!   [`ForwardUrl`](crate::ForwardUrl) derives it.
//!
//! # Statuses and codes
//!
//! | HTTP | code | meaning | crate |
//! |---|---|---|---|
//! | 400 | 1000 | `X-Plex-Client-Identifier is missing` \[spec; seen\] | [`Error::MissingClientIdentifier`](crate::Error::MissingClientIdentifier) |
//! | 401 | 1001 | `User could not be authenticated` \[spec\] | [`Error::Unauthorized`](crate::Error::Unauthorized) |
//! | 404 | 1020 | `Code not found or expired`: expired, unknown, denied, or polled with another client identifier \[spec; seen: Ombi\] | [`Error::PinExpired`](crate::Error::PinExpired) |
//! | 422 | — | XML `Invalid token`: a revoked token \[seen\] | [`Error::Unauthorized`](crate::Error::Unauthorized) |
//! | 422 | 1097 | "jwk missing": the device key is gone \[code: clambin\] | [`Error::DeviceKeyUnknown`](crate::Error::DeviceKeyUnknown) |
//! | 422 | — | signature verification failed / thumbprint already taken \[doc\] | [`Error::SignatureRejected`](crate::Error::SignatureRejected), [`Error::ThumbprintTaken`](crate::Error::ThumbprintTaken) |
//! | 429 | 1003 | too many requests; known on the nonce endpoint \[doc; code: clambin\] | [`Error::RateLimited`](crate::Error::RateLimited) |
//! | 498 | — | the Plex JWT expired \[doc\] | [`Error::JwtExpired`](crate::Error::JwtExpired) |
//!
//! Bodies: `{"errors":[{"code":…,"message":…,"status":…}]}` with `status` sometimes absent
//! \[spec\], `{"error":"…"}` \[code: clambin\], or XML `<errors><error …/></errors>`. No source
//! documents a `Retry-After` on plex.tv, nor a rate limit on `/pins`; the crate honours
//! one on 429 and 5xx if it ever comes, within bounds ([`LoginOptions::max_retry_after`](crate::LoginOptions::max_retry_after)).
//!
//! # The pin and its expiry
//!
//! `id` (an integer near 2^31 \[seen\]; the crate takes `u64`), `code` (strong: 25 lowercase
//! letters and digits; link: 4 uppercase characters \[spec; seen\]), `product`, `trusted`,
//! `qr`, `clientIdentifier`, `location` (GeoIP, snake_case fields, `postal_code` a string,
//! once a number \[spec PR #24\]), `expiresIn`, `createdAt`, `expiresAt`, `authToken`
//! (null until approved; a legacy token of about 20 characters or a Plex JWT of about 536),
//! `newRegistration` (null, then a boolean) \[spec; code: plex-api.rs fixtures\].
//!
//! - Strong pins live 1800 s, link pins 900 s \[spec; seen\]. `expiresIn` counts down between
//!   polls. The crate counts a pin's life from `expiresIn` on the caller's monotonic clock
//!   at receipt, not from `expiresAt` against a wall clock (clock skew), and believes no
//!   more than an hour ([`MAX_PIN_LIFETIME`](crate::limits::MAX_PIN_LIFETIME)).
//! - After expiry (or denial) a poll answers 404/1020 \[spec; seen\]; one bot-written claim of
//!   "200 with a null token" is contradicted by real logs \[seen: seerr PR #2941\].
//! - Poll once a second \[doc\]. Some clients poll every 3 s (python-plexauth) or 15 s
//!   (clambin).
//!
//! # The Auth App URL
//!
//! `https://app.plex.tv/auth#?clientID=…&code=…&context%5Bdevice%5D%5Bproduct%5D=…` with an
//! optional `forwardUrl`, all inside the fragment \[doc\]. Clients also use `/auth/#!?`
//! \[code: python-plexapi, Tautulli\]. The product context is required for the forwarding
//! flow \[seen: plexio PR #10\]; `clientID` must be the client identifier. Strong codes are
//! for this page only: plex.tv/link refuses them \[seen: nzbfast #91\]. 4-character codes are
//! typed at `https://plex.tv/link` (prefilled by `?pin=CODE` \[doc\]); the pin's `qr` image
//! leads there too, so it suits link codes only \[spec; inferred\]. See
//! [`auth_url`](crate::auth_url) and [`link_url`](crate::link_url).
//!
//! # The JWT sign-in
//!
//! Plex's newer flow (2025) \[doc; code: python-plexapi `MyPlexJWTLogin`\]:
//!
//! 1. The device keeps an Ed25519 key. Its public JWK (`kty OKP`, `crv Ed25519`, `x`,
//!    `kid`, `alg EdDSA`) is sent when the pin is created, or registered later with a
//!    legacy token at `/api/v2/auth/jwk`.
//! 2. Each poll carries `?deviceJWT=…`: a JWT signed with the device key, header
//!    `{kid, alg: EdDSA, typ: JWT}`, claims `nonce` (from `/api/v2/auth/nonce`, single use,
//!    5 minutes), `scope` (comma-separated), `aud: plex.tv`, `iss: <client identifier>`,
//!    `iat`, `exp`. The approved pin's `authToken` is then a Plex JWT.
//! 3. A Plex JWT lives 7 days; refresh it (nonce, device JWT, `POST /api/v2/auth/token`)
//!    when less than a day is left or after a 498.
//! 4. Plex JWTs are signed by one of the keys at `/api/v2/auth/keys` (try each), with `iss
//!    plex.tv`, `aud` holding `plex.tv` and the client identifier, and a `thumbprint` claim
//!    equal to the device's registered `kid` \[code: python-plexapi\].
//!
//! Clock drift breaks signatures \[doc\]: device JWTs take their `iat` from the caller's wall
//! clock, read once ([`PinLogin::with_device_key`](crate::PinLogin)).
//!
//! # Sources
//!
//! Plex: forums.plex.tv/t/authenticating-with-plex/609370, developer.plex.tv (pms, 2025
//! and 2026 copies), forum threads 931646 and 937061. Spec: LukeHagar/plex-api-spec
//! `src/paths/pins/*.yaml` at 6c561d8 (the last commit with pins), PRs #12, #21, #24, #25,
//! #26, #30, #32. Clients: pushingkarmaorg/python-plexapi 4.18.1 (`myplex.py`),
//! jjlawren/python-plexauth 0.0.6, LukeHagar/plexjs and plexpy (last pin commits of
//! October 2025), andrey-yantsen/plex-api.rs 0.0.11, clambin/mediaclients. Reports: Ombi
//! #3072, #4675, #5441 and PR #5265; seerr PR #2746, #2939, PR #2941; Home Assistant
//! #43081; natedogg058/plexio #6 and PR #10; nzbfast #91.
